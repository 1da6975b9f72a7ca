package main

import (
	"github.com/google/wire"
)

// agentRoutes is the agent API module; agentRunners its background work
// (heartbeat flushing, cache invalidation). Named types keep wire's graph
// unambiguous.
type (
	agentRoutes  httpModule
	agentRunners []Runner
)

// agentSet wires the agent API (issue 3).
var agentSet = wire.NewSet(provideAgentRoutes, provideAgentRunners)

func provideAgentRoutes() agentRoutes   { return nil }
func provideAgentRunners() agentRunners { return nil }
