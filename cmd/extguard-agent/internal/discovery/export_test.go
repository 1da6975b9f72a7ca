package discovery

// Unreportable is exported for the test that holds it to the server's own rules.
var Unreportable = unreportable
