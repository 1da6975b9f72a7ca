package main

import (
	"log/slog"

	httpapi "github.com/extguard/extguard/adapters/http"
	"github.com/extguard/extguard/application"
)

// adminRoutes is the admin API module.
type adminRoutes httpModule

func provideAdminRoutes(uc *application.Application, log *slog.Logger) adminRoutes {
	return httpapi.NewAdmin(uc, log)
}
