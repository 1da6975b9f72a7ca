package main

import (
	"github.com/google/wire"
)

// workerRunners is the worker process's background work: the asynq server,
// the scheduler and the outbox relay.
type workerRunners []Runner

// workerSet wires the workers (issue 5).
var workerSet = wire.NewSet(provideWorkerRunners)

func provideWorkerRunners() workerRunners { return nil }
