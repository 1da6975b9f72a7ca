package pgtest

import (
	"context"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"

	"github.com/uptrace/bun"

	"github.com/extguard/extguard/adapters/postgres"
)

// Outage is a database connection through a TCP relay the test can cut, so
// the server "goes away" for this DB only: the shared PostgreSQL and every
// other test keep running.
type Outage struct {
	DB *bun.DB

	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
	cut   bool
}

// NewOutage opens a DB on this test binary's private database through a
// relay on a loopback port; it is closed when the test ends.
func NewOutage(t testing.TB, pool postgres.PoolConfig) *Outage {
	t.Helper()
	target, err := url.Parse(DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o := &Outage{ln: ln}
	go o.relay(target.Host)
	relayed := *target
	relayed.Host = ln.Addr().String()
	q := relayed.Query()
	q.Set("connect_timeout", "2")
	relayed.RawQuery = q.Encode()
	o.DB, err = postgres.Open(context.Background(), relayed.String(), pool)
	if err != nil {
		_ = ln.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Cut(); _ = o.DB.Close() })
	return o
}

// Cut closes the relay's listener and every connection through it: from
// then on the DB's pooled connections are dead and new ones are refused.
func (o *Outage) Cut() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.cut = true
	_ = o.ln.Close()
	for _, c := range o.conns {
		_ = c.Close()
	}
	o.conns = nil
}

func (o *Outage) relay(target string) {
	for {
		client, err := o.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", target)
		if err != nil {
			_ = client.Close()
			continue
		}
		if !o.track(client, server) {
			return
		}
		go pipe(client, server)
		go pipe(server, client)
	}
}

func (o *Outage) track(conns ...net.Conn) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.cut {
		for _, c := range conns {
			_ = c.Close()
		}
		return false
	}
	o.conns = append(o.conns, conns...)
	return true
}

func pipe(dst, src net.Conn) {
	_, _ = io.Copy(dst, src)
	_ = dst.Close()
	_ = src.Close()
}

// Addr is the relay's address, which a client must never be told.
func (o *Outage) Addr() string { return o.ln.Addr().String() }
