package httpapi_test

import (
	"log/slog"

	goredis "github.com/redis/go-redis/v9"
	"github.com/uptrace/bun"

	"github.com/extguard/extguard/adapters/apptest"
	"github.com/extguard/extguard/adapters/redis"
	"github.com/extguard/extguard/application"
)

// testDeps are the application's ports on the real adapters (apptest.Deps).
func testDeps(db *bun.DB, rdb *goredis.Client, bus *redis.Bus, limiter *redis.RateLimiter, log *slog.Logger) application.Deps {
	return apptest.Deps(db, rdb, bus, limiter, log)
}
