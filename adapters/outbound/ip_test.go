package outbound

import (
	"errors"
	"net/netip"
	"testing"
)

func TestCheckIPRefusesEveryNonPublicClass(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"127.0.0.1":              "loopback",
		"127.255.255.254":        "loopback",
		"::1":                    "loopback",
		"0.0.0.0":                "unspecified",
		"0.1.2.3":                "unspecified",
		"::":                     "unspecified",
		"10.0.0.1":               "private",
		"172.16.0.1":             "private",
		"172.31.255.255":         "private",
		"192.168.1.1":            "private",
		"fc00::1":                "private",
		"fd00:ec2::254":          "private", // AWS IPv6 metadata
		"169.254.169.254":        "link-local",
		"169.254.170.2":          "link-local",
		"fe80::1":                "link-local",
		"fe80::1%eth0":           "link-local",
		"100.64.0.1":             "carrier-grade NAT",
		"100.100.100.200":        "carrier-grade NAT", // Alibaba metadata
		"224.0.0.1":              "multicast",
		"239.255.255.250":        "multicast",
		"ff02::1":                "multicast",
		"255.255.255.255":        "reserved",
		"240.0.0.1":              "reserved",
		"192.0.0.192":            "IETF protocol assignment",
		"198.18.0.1":             "benchmarking",
		"198.19.255.255":         "benchmarking",
		"192.0.2.1":              "documentation",
		"::ffff:127.0.0.1":       "loopback",
		"::ffff:169.254.169.254": "link-local",
		"::ffff:10.1.2.3":        "private",
		"::127.0.0.1":            "IPv4-compatible (deprecated)",
		"64:ff9b::7f00:1":        "loopback",
		"64:ff9b::a9fe:a9fe":     "link-local",
		"64:ff9b::a00:1":         "private",
		"64:ff9b:1::1":           "local-use NAT64",
		"2002:7f00:1::1":         "loopback",
		"2002:a9fe:a9fe::":       "link-local",
		"2002:c0a8:101::1":       "private",
		"2001:0:4136:e378::1":    "Teredo",
		"fec0::1":                "site-local",
		"2001:db8::1":            "documentation",
		"100::1":                 "discard-only",
	}
	for s, reason := range cases {
		ip := netip.MustParseAddr(s)
		err := CheckIP(ip, false)
		var be *BlockedAddressError
		if !errors.As(err, &be) {
			t.Errorf("CheckIP(%s) = %v, want *BlockedAddressError", s, err)
			continue
		}
		if be.Reason != reason {
			t.Errorf("CheckIP(%s) reason = %q, want %q", s, be.Reason, reason)
		}
		if err := CheckIP(ip, true); err != nil {
			t.Errorf("CheckIP(%s, allowPrivate) = %v, want nil", s, err)
		}
	}
}

func TestCheckIPAllowsPublicAddresses(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"8.8.8.8",
		"1.1.1.1",
		"13.107.42.18",
		"100.63.255.255", // just below CGNAT
		"100.128.0.0",    // just above CGNAT
		"172.15.255.255", // just below 172.16/12
		"172.32.0.0",     // just above 172.16/12
		"2606:4700:4700::1111",
		"2a00:1450:4001:80b::200e",
		"::ffff:8.8.8.8",
		"64:ff9b::808:808", // NAT64 to a public address
		"2002:808:808::1",  // 6to4 of a public address
	} {
		if err := CheckIP(netip.MustParseAddr(s), false); err != nil {
			t.Errorf("CheckIP(%s) = %v, want nil", s, err)
		}
	}
}

func TestCheckIPRefusesInvalidAddress(t *testing.T) {
	t.Parallel()
	if err := CheckIP(netip.Addr{}, false); err == nil {
		t.Fatal("zero Addr accepted")
	}
}
