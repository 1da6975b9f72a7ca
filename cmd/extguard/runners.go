package main

// provideServerRunners lists the background work the API process runs.
func provideServerRunners() []Runner { return nil }

// provideWorkerRunners lists the worker process's runners.
func provideWorkerRunners() []Runner { return nil }
