package outbound

import (
	"fmt"
	"net/netip"
)

// BlockedAddressError reports that a connection was refused because its target
// address (or host name) belongs to a class that is not reachable from the
// public internet. Callers detect it with errors.As.
type BlockedAddressError struct {
	Addr   netip.Addr // the refused address; invalid when Host was refused by name
	Host   string     // the refused host name, when refused by name
	Reason string     // the address class, e.g. "loopback", "private"
}

func (e *BlockedAddressError) Error() string {
	target := e.Host
	if e.Addr.IsValid() {
		target = e.Addr.String()
	}
	return fmt.Sprintf("outbound: refused connection to %s (%s address)", target, e.Reason)
}

type blockedRange struct {
	prefix netip.Prefix
	reason string
}

func mustRanges(pairs ...string) []blockedRange {
	out := make([]blockedRange, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, blockedRange{netip.MustParsePrefix(pairs[i]), pairs[i+1]})
	}
	return out
}

// blockedV4 lists the IPv4 ranges that are not globally reachable unicast
// (IANA special-purpose registry), plus ranges used by cloud metadata services.
var blockedV4 = mustRanges(
	"0.0.0.0/8", "unspecified",
	"10.0.0.0/8", "private",
	"100.64.0.0/10", "carrier-grade NAT", // also Alibaba metadata 100.100.100.200
	"127.0.0.0/8", "loopback",
	"169.254.0.0/16", "link-local", // cloud metadata 169.254.169.254, ECS 169.254.170.2
	"172.16.0.0/12", "private",
	"192.0.0.0/24", "IETF protocol assignment", // Oracle metadata 192.0.0.192
	"192.0.2.0/24", "documentation",
	"192.88.99.0/24", "6to4 relay anycast",
	"192.168.0.0/16", "private",
	"198.18.0.0/15", "benchmarking",
	"198.51.100.0/24", "documentation",
	"203.0.113.0/24", "documentation",
	"224.0.0.0/4", "multicast",
	"240.0.0.0/4", "reserved", // includes broadcast 255.255.255.255
)

// blockedV6 lists IPv6 ranges that are not globally reachable unicast. Ranges
// that embed an IPv4 address (mapped, NAT64, 6to4) are handled separately so
// that they are refused only when the embedded address is.
var blockedV6 = mustRanges(
	"::/128", "unspecified",
	"::1/128", "loopback",
	"::/96", "IPv4-compatible (deprecated)",
	"64:ff9b:1::/48", "local-use NAT64",
	"100::/64", "discard-only",
	"2001::/32", "Teredo",
	"2001:10::/28", "ORCHID",
	"2001:20::/28", "ORCHIDv2",
	"2001:db8::/32", "documentation",
	"3fff::/20", "documentation",
	"5f00::/16", "segment routing",
	"fc00::/7", "private", // unique local, includes AWS metadata fd00:ec2::254
	"fe80::/10", "link-local",
	"fec0::/10", "site-local",
	"ff00::/8", "multicast",
)

var (
	nat64Prefix = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour   = netip.MustParsePrefix("2002::/16")
)

// CheckIP returns a *BlockedAddressError when ip must not be connected to, and
// nil when it is a public unicast address or allowPrivate is set.
func CheckIP(ip netip.Addr, allowPrivate bool) error {
	if allowPrivate {
		return nil
	}
	if reason, ok := blockedReason(ip); ok {
		return &BlockedAddressError{Addr: ip, Reason: reason}
	}
	return nil
}

func blockedReason(ip netip.Addr) (string, bool) {
	if !ip.IsValid() {
		return "invalid", true
	}
	ip = ip.WithZone("")
	if ip.Is4In6() {
		return v4Reason(ip.Unmap())
	}
	if ip.Is4() {
		return v4Reason(ip)
	}
	if v4, ok := embeddedV4(ip); ok {
		// A translator would forward to the embedded IPv4 address, so that is
		// the address that must be public.
		return v4Reason(v4)
	}
	return matchRanges(blockedV6, ip)
}

func v4Reason(ip netip.Addr) (string, bool) {
	return matchRanges(blockedV4, ip)
}

// embeddedV4 extracts the IPv4 address carried by NAT64 (64:ff9b::/96) and
// 6to4 (2002::/16) addresses.
func embeddedV4(ip netip.Addr) (netip.Addr, bool) {
	b := ip.As16()
	switch {
	case nat64Prefix.Contains(ip):
		return netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}), true
	case sixToFour.Contains(ip):
		return netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}), true
	}
	return netip.Addr{}, false
}

func matchRanges(ranges []blockedRange, ip netip.Addr) (string, bool) {
	for _, r := range ranges {
		if r.prefix.Contains(ip) {
			return r.reason, true
		}
	}
	return "", false
}
