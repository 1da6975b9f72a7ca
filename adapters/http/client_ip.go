package httpapi

import (
	"bytes"
	"net"
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/extguard/extguard/domain/audit"
)

// trustedProxies are the proxies (EXTGUARD_TRUSTED_PROXIES) whose
// X-Forwarded-For is believed.
type trustedProxies struct{ prefixes []netip.Prefix }

func (t *trustedProxies) trusts(a netip.Addr) bool {
	for _, p := range t.prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// trustedProxiesKey holds the app's *trustedProxies in a request's locals
// (a pointer: storing it does not allocate). Only apps that trust proxies
// set it, so without proxies nothing is done per request.
type trustedProxiesKey struct{}

// withTrustedProxies hands the proxies to clientIP.
func withTrustedProxies(t *trustedProxies) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Locals(trustedProxiesKey{}, t)
		return c.Next()
	}
}

// clientIP is the address the request came from, as audit rows and report
// history record it. It is the socket peer unless the peer is a trusted
// proxy; then it is the right-most X-Forwarded-For address that is not a
// trusted proxy. Proxies append the address they saw to what the client
// sent, so everything left of it may be forged by the client: fiber's
// c.IP() takes the left-most valid address, which a client behind an
// appending proxy (nginx's $proxy_add_x_forwarded_for) chooses itself.
func clientIP(c *fiber.Ctx) string {
	peer := peerAddr(c)
	t, _ := c.Locals(trustedProxiesKey{}).(*trustedProxies)
	if t == nil || !t.trusts(peer) {
		return peer.String()
	}
	// Several headers (one per proxy) read as one list.
	hops := bytes.Join(c.Request().Header.PeekAll(fiber.HeaderXForwardedFor), []byte{','})
	client := peer
	for len(hops) > 0 {
		i := bytes.LastIndexByte(hops, ',')
		hop := hops[i+1:]
		hops = hops[:max(i, 0)]
		a, err := netip.ParseAddr(string(bytes.TrimSpace(hop)))
		if err != nil {
			// Not an address: nothing further left can be trusted either;
			// the last good hop is the best we know.
			return client.String()
		}
		client = a.Unmap()
		if !t.trusts(client) {
			return client.String()
		}
	}
	return client.String()
}

// peerAddr is the socket peer's address (the zero address when the
// connection has none, as in app.Test's fake connections).
func peerAddr(c *fiber.Ctx) netip.Addr {
	if tcp, ok := c.Context().RemoteAddr().(*net.TCPAddr); ok {
		if a, ok := netip.AddrFromSlice(tcp.IP); ok {
			return a.Unmap()
		}
	}
	return netip.IPv4Unspecified()
}

// userAgent is the request's User-Agent as audit rows and sessions record
// it: cut to audit.MaxUserAgentLength, valid UTF-8 without control
// characters, and copied (fiber reuses its buffers after the handler). A
// client's NUL or CR/LF can then neither fail an audit insert nor forge a
// log line. Together with clientIP, which yields only parsed addresses, no
// header text reaches a use case unchecked.
func userAgent(c *fiber.Ctx) string {
	return strings.Clone(audit.CleanText(c.Get(fiber.HeaderUserAgent), audit.MaxUserAgentLength))
}
