package main

import (
	"github.com/google/wire"
)

// adminRoutes is the admin API module.
type adminRoutes httpModule

// adminSet wires the admin API (issue 4).
var adminSet = wire.NewSet(provideAdminRoutes)

func provideAdminRoutes() adminRoutes { return nil }
