package outbound_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/extguard/extguard/adapters/outbound"
	"github.com/extguard/extguard/domain"
)

func TestTargetGuardJudgesLiteralAddressesOnly(t *testing.T) {
	t.Parallel()
	strict, lax := outbound.TargetGuard{}, outbound.TargetGuard{AllowPrivate: true}
	for _, tc := range []struct {
		url             string
		strictOK, laxOK bool
	}{
		{"https://127.0.0.1/x", false, true},
		{"http://[::ffff:10.0.0.1]/x", false, true}, // IPv4-mapped private
		{"https://[fe80::1%25eth0]/x", false, true},
		{"https://8.8.8.8/x", true, true},
		{"https://hooks.example.com/x", true, true}, // a name: judged when dialled
		{"https://user:pw@8.8.8.8/x", false, false},
		{"https://8.8.8.8:99999/x", false, false},
	} {
		for _, g := range []struct {
			guard outbound.TargetGuard
			ok    bool
		}{{strict, tc.strictOK}, {lax, tc.laxOK}} {
			err := g.guard.Check("marketplace_url", tc.url)
			if (err == nil) != g.ok {
				t.Errorf("AllowPrivate=%v %s: %v, want ok=%v", g.guard.AllowPrivate, tc.url, err, g.ok)
				continue
			}
			var de *domain.Error
			if err != nil && (!errors.As(err, &de) || de.Code != domain.CodeInvalid || len(de.Fields) != 1 ||
				de.Fields[0].Field != "marketplace_url" || strings.Contains(err.Error(), "pw@")) {
				t.Errorf("%s: %v, want invalid naming marketplace_url without the URL", tc.url, err)
			}
		}
	}
}
