package httpapi

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"time"
)

// The document's schemas are derived from the Go types the handlers encode
// and decode, by reflection over their json tags, so each shape is written
// once: as the struct. A hand-written schema beside the type drifted from it
// (field names, nullability, statuses) without any test noticing. What a Go
// type cannot say (formats, enums, bounds, which request fields a client
// must send) is a hint in the shape's registration; a pointer is nullable;
// a field without omitempty is always present in an answer.

// shape registers one named schema.
type shape struct {
	name string
	typ  reflect.Type
	// schema is the whole schema of a type whose JSON is not its fields
	// (a custom MarshalJSON); typ is then only the key that refers to it.
	schema jsonObject
	// hints adds keywords to the derived property schemas, by JSON name.
	hints jsonObject
	// request: required is exactly what a client must send (an absent field
	// is its zero value). In an answer every field without omitempty is
	// present, and required adds the omitempty ones this shape always has.
	request  bool
	required []string
	// without leaves out properties the type has but this shape never
	// carries (the secret of an API key outside its creation answer).
	without []string
	// alias: another name for typ; references to typ use the first shape.
	alias bool
	// open: unknown properties are allowed (the agent protocol ignores the
	// request fields it does not know, so newer agents keep working).
	open bool
}

// uuidProps are the properties that hold an id in every schema that has them.
var uuidProps = []string{"id", "group_id", "agent_id", "audit_id", "webhook_id", "created_by", "added_by", "actor_id", "target_id"}

var (
	timeType = reflect.TypeFor[time.Time]()
	rawType  = reflect.TypeFor[json.RawMessage]()
)

// schemaSet derives the schemas of shapes; references between registered
// types become $refs.
type schemaSet struct {
	names map[reflect.Type]string
}

func buildSchemas(shapes []shape) jsonObject {
	set := schemaSet{names: map[reflect.Type]string{}}
	for _, sh := range shapes {
		if _, taken := set.names[sh.typ]; !taken && !sh.alias {
			set.names[sh.typ] = sh.name
		}
	}
	out := jsonObject{}
	for _, sh := range shapes {
		if sh.schema != nil {
			out[sh.name] = sh.schema
			continue
		}
		out[sh.name] = set.object(sh)
	}
	return out
}

func (set schemaSet) object(sh shape) jsonObject {
	props, required := jsonObject{}, []string{}
	set.fields(sh.typ, props, &required)
	for _, name := range sh.without {
		delete(props, name)
		required = slices.DeleteFunc(required, func(r string) bool { return r == name })
	}
	for _, name := range uuidProps {
		if p, ok := props[name].(jsonObject); ok {
			props[name] = withHint(p, jsonObject{"format": "uuid"})
		}
	}
	for name, hint := range sh.hints {
		p, ok := props[name].(jsonObject)
		if !ok {
			panic("openapi: " + sh.name + " has no property " + name)
		}
		props[name] = withHint(p, hint.(jsonObject))
	}
	if sh.request {
		required = sh.required
	} else {
		required = append(required, sh.required...)
	}
	o := object(sortedStrings(required), props)
	if sh.open {
		delete(o, "additionalProperties")
	}
	return o
}

// fields adds the JSON properties of struct t, flattening embedded structs
// as encoding/json does.
func (set schemaSet) fields(t reflect.Type, props jsonObject, required *[]string) {
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			set.fields(f.Type, props, required)
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		props[name] = set.of(f.Type)
		if !strings.Contains(opts, "omitempty") {
			*required = append(*required, name)
		}
	}
}

// of is the schema of a value of type t.
func (set schemaSet) of(t reflect.Type) jsonObject {
	if name, ok := set.names[t]; ok {
		return ref(name)
	}
	switch t {
	case timeType:
		return schemaOfFormat("string", "date-time")
	case rawType:
		return schemaOfType("object")
	}
	switch t.Kind() {
	case reflect.Pointer:
		return orNull(set.of(t.Elem()))
	case reflect.String:
		return schemaOfType("string")
	case reflect.Bool:
		return schemaOfType("boolean")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return schemaOfType("integer")
	case reflect.Float32, reflect.Float64:
		return schemaOfType("number")
	case reflect.Slice, reflect.Array:
		return arrayOf(set.of(t.Elem()))
	case reflect.Map:
		return jsonObject{"type": "object", "additionalProperties": set.of(t.Elem())}
	}
	panic("openapi: no schema for " + t.String() + "; register it as a shape")
}

// orNull also admits null: a pointer is null when unset.
func orNull(o jsonObject) jsonObject {
	t, ok := o["type"].(string)
	if !ok {
		return jsonObject{"oneOf": []jsonObject{schemaOfType("null"), o}}
	}
	out := withHint(o, nil)
	out["type"] = []string{t, "null"}
	return out
}

// withHint is p with hint's keywords; an enum of a nullable value keeps
// admitting null.
func withHint(p, hint jsonObject) jsonObject {
	out := jsonObject{}
	for k, v := range p {
		out[k] = v
	}
	for k, v := range hint {
		out[k] = v
	}
	if e, ok := hint["enum"].([]string); ok && slices.Contains(typesOf(p), "null") {
		values := make([]any, 0, len(e)+1)
		for _, v := range e {
			values = append(values, v)
		}
		out["enum"] = append(values, nil)
	}
	return out
}

func typesOf(p jsonObject) []string {
	switch t := p["type"].(type) {
	case string:
		return []string{t}
	case []string:
		return t
	}
	return nil
}
