package httpapi_test

import (
	"io"
	"log/slog"
	"reflect"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/redis"
	"github.com/extguard/extguard/adapters/redis/redistest"
	"github.com/extguard/extguard/application"
)

// TestApplicationAssemblesEveryUseCase: application.New, given every port,
// leaves no use case unbuilt and no use case with a port unset, so a use
// case added to Application but forgotten in New (or a port New does not
// pass on) fails here, not on its first request in production.
func TestApplicationAssemblesEveryUseCase(t *testing.T) {
	db := testDB(t)
	rdb := goredis.NewClient(redistest.Options(t))
	defer rdb.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	d := testDeps(db, rdb, redis.NewBus(rdb, log), redis.NewRateLimiter(rdb, log), log)
	d.Heartbeats = application.NewHeartbeatBuffer(postgres.NewHeartbeatStore(db), d.Audit, log, time.Hour)
	d.Reports = application.NewReportBatcher(postgres.NewReportStore(db), log, application.DefaultReportBatchConfig())
	defer d.Reports.Close()
	assertAllSet(t, "Deps", reflect.ValueOf(d))
	app, err := application.New(d)
	if err != nil {
		t.Fatal(err)
	}
	v := reflect.ValueOf(app).Elem()
	for i := range v.NumField() {
		name := v.Type().Field(i).Name
		uc := v.Field(i)
		if uc.IsZero() {
			t.Errorf("Application.%s is not assembled", name)
			continue
		}
		if uc.Kind() == reflect.Pointer {
			uc = uc.Elem()
		}
		assertAllSet(t, name, uc)
	}
}

// assertAllSet reports every nil interface, pointer, map or func field of
// the struct v (exported or not).
func assertAllSet(t *testing.T, name string, v reflect.Value) {
	t.Helper()
	for i := range v.NumField() {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.Interface, reflect.Pointer, reflect.Map, reflect.Func:
			if f.IsNil() {
				t.Errorf("%s.%s is nil", name, v.Type().Field(i).Name)
			}
		}
	}
}
