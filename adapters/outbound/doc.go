// Package outbound builds the HTTP clients extguard uses to reach addresses that
// admins type in (webhook receivers, marketplace download URLs).
//
// Such addresses are an SSRF vector: a URL may name, or a DNS record may later be
// changed to point at, loopback services, the cloud metadata endpoint or hosts on
// the private network. The guard therefore runs at dial time, on the IP address
// the connection is actually made to, after name resolution; checking the URL's
// host beforehand would let DNS rebinding through. Proxies taken from the
// environment are never used, because the guard would then check the proxy
// instead of the target. TargetGuard adds the write-time check of literal
// addresses, so an admin learns at once that a target can never be reached.
package outbound
