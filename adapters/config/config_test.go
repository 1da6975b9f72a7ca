package config

import (
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaultsWorkOnADeveloperMachine(t *testing.T) {
	cfg, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DatabaseURL != "postgres://postgres@127.0.0.1:5432/extguard?sslmode=disable" || cfg.HTTPAddr != ":8080" {
		t.Fatalf("defaults: %+v", cfg)
	}
	if cfg.StaleScanInterval != time.Minute || cfg.RevalidateInterval != 24*time.Hour || cfg.OutboundAllowPrivate {
		t.Fatalf("defaults: %+v", cfg)
	}
	if len(cfg.MarketplaceHosts) != 4 || cfg.MarketplaceHosts[1] != "*.gallery.vsassets.io" {
		t.Fatalf("marketplace hosts: %v", cfg.MarketplaceHosts)
	}
}

func TestBadValuesNameTheirVariable(t *testing.T) {
	_, err := Load(env(map[string]string{
		"EXTGUARD_DATABASE_URL":           "mysql://x/y",
		"EXTGUARD_STALE_SCAN_INTERVAL":    "often",
		"EXTGUARD_OUTBOUND_ALLOW_PRIVATE": "maybe",
		"EXTGUARD_TRUSTED_PROXIES":        "10.0.0.0/8,not-an-ip",
		"EXTGUARD_LOG_FORMAT":             "xml",
		"EXTGUARD_ADMIN_EMAIL":            "a@example.com",
	}))
	if err == nil {
		t.Fatal("want an error")
	}
	for _, name := range []string{"EXTGUARD_DATABASE_URL", "EXTGUARD_STALE_SCAN_INTERVAL", "EXTGUARD_OUTBOUND_ALLOW_PRIVATE",
		"EXTGUARD_TRUSTED_PROXIES", "EXTGUARD_LOG_FORMAT", "EXTGUARD_ADMIN_EMAIL"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
}

func TestTrustedProxiesAcceptAddressesAndCIDRs(t *testing.T) {
	cfg, err := Load(env(map[string]string{"EXTGUARD_TRUSTED_PROXIES": "10.1.2.3, 192.168.0.0/16 ,::1"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.TrustedProxies) != 3 || cfg.TrustedProxies[0].String() != "10.1.2.3/32" || cfg.TrustedProxies[2].String() != "::1/128" {
		t.Fatalf("%v", cfg.TrustedProxies)
	}
}

func TestListenAddressesAreCheckedAtConfigurationTime(t *testing.T) {
	for _, name := range []string{"EXTGUARD_HTTP_ADDR", "EXTGUARD_METRICS_ADDR"} {
		for _, bad := range []string{"8080", "localhost", ":http-alt", ":99999", ":-1", "a:b:c", "[::1", "127.0.0.1:"} {
			_, err := Load(env(map[string]string{name: bad}))
			if err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("%s=%q: %v, want an error naming the variable", name, bad, err)
			}
		}
		for _, good := range []string{":8080", "127.0.0.1:0", "[::1]:9464", "localhost:9000", "0.0.0.0:65535"} {
			cfg, err := Load(env(map[string]string{name: good}))
			if err != nil {
				t.Errorf("%s=%q: %v", name, good, err)
			}
			if got := map[string]string{"EXTGUARD_HTTP_ADDR": cfg.HTTPAddr, "EXTGUARD_METRICS_ADDR": cfg.MetricsAddr}[name]; got != good {
				t.Errorf("%s=%q read as %q", name, good, got)
			}
		}
	}
}

func TestRetentionsTakeDaysDurationsAndZero(t *testing.T) {
	cfg, err := Load(env(nil))
	if err != nil || cfg.ReportRetention != 400*24*time.Hour || cfg.AuditRetention != 730*24*time.Hour ||
		cfg.DeliveryRetention != 30*24*time.Hour {
		t.Fatalf("default retentions %v %v %v (%v)", cfg.ReportRetention, cfg.AuditRetention, cfg.DeliveryRetention, err)
	}
	cfg, err = Load(env(map[string]string{"EXTGUARD_REPORT_RETENTION": "90d", "EXTGUARD_AUDIT_RETENTION": "0",
		"EXTGUARD_DELIVERY_RETENTION": "168h"}))
	if err != nil || cfg.ReportRetention != 90*24*time.Hour || cfg.AuditRetention != 0 || cfg.DeliveryRetention != 7*24*time.Hour {
		t.Fatalf("retentions %v %v %v (%v)", cfg.ReportRetention, cfg.AuditRetention, cfg.DeliveryRetention, err)
	}
	_, err = Load(env(map[string]string{"EXTGUARD_REPORT_RETENTION": "90m", "EXTGUARD_AUDIT_RETENTION": "a year"}))
	if err == nil || !strings.Contains(err.Error(), "EXTGUARD_REPORT_RETENTION") || !strings.Contains(err.Error(), "EXTGUARD_AUDIT_RETENTION") {
		t.Fatalf("want both named: %v", err)
	}
}

// TestPprofNeedsTheMetricsListener: the profiler is off unless asked for,
// and asked for without EXTGUARD_METRICS_ADDR it stops startup, since the
// API's own listener never serves it.
func TestPprofNeedsTheMetricsListener(t *testing.T) {
	if cfg, err := Load(env(nil)); err != nil || cfg.Pprof {
		t.Fatalf("default: pprof %v, %v", cfg.Pprof, err)
	}
	if _, err := Load(env(map[string]string{"EXTGUARD_PPROF": "true"})); err == nil || !strings.Contains(err.Error(), "EXTGUARD_METRICS_ADDR") {
		t.Fatalf("pprof without a metrics listener: %v", err)
	}
	cfg, err := Load(env(map[string]string{"EXTGUARD_PPROF": "true", "EXTGUARD_METRICS_ADDR": "127.0.0.1:9464"}))
	if err != nil || !cfg.Pprof {
		t.Fatalf("pprof with a metrics listener: %v %v", cfg.Pprof, err)
	}
}
