package main

import (
	"log/slog"

	"github.com/extguard/extguard/adapters/console"
	httpapi "github.com/extguard/extguard/adapters/http"
	"github.com/extguard/extguard/application"
)

// adminRoutes is the admin API module.
type adminRoutes httpModule

func provideAdminRoutes(uc *application.Application, log *slog.Logger) adminRoutes {
	return httpapi.NewAdmin(uc, log)
}

// consoleRoutes is the admin console (/console/), a client of the same use
// cases as the admin API.
type consoleRoutes httpModule

func provideConsoleRoutes(uc *application.Application, log *slog.Logger) consoleRoutes {
	return console.New(uc, log)
}
