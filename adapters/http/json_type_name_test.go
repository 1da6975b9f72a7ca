package httpapi

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/extguard/extguard/protocol/agentv1"
)

// TestJSONTypeNameServesBothAPIs: the admin API's strict decoding and the
// agent API's type errors name a field's type with the one jsonTypeName,
// which must cover what either decoder can report: no type at all (the
// agent decoder's errors may carry none), numbers that are not integers,
// and arrays of objects.
func TestJSONTypeNameServesBothAPIs(t *testing.T) {
	for typ, want := range map[reflect.Type]string{
		nil:                                    "a JSON value of the documented type",
		reflect.TypeFor[*string]():             "a string",
		reflect.TypeFor[bool]():                "true or false",
		reflect.TypeFor[int32]():               "an integer",
		reflect.TypeFor[float64]():             "a number",
		reflect.TypeFor[time.Time]():           "an RFC 3339 timestamp",
		reflect.TypeFor[json.RawMessage]():     "a JSON object",
		reflect.TypeFor[[]string]():            "an array of strings",
		reflect.TypeFor[agentv1.Report]():      "an object",
		reflect.TypeFor[[]agentv1.Violation](): "an array of objects",
	} {
		if got := jsonTypeName(typ); got != want {
			t.Errorf("jsonTypeName(%v) = %q, want %q", typ, got, want)
		}
	}
}
