package redistest

import (
	"io"
	"net"
	"sync"
	"testing"
)

// Proxy forwards TCP to a Redis server and can be cut and restored, to take
// Redis away from one client (an outage) without touching the server that
// other tests share.
type Proxy struct {
	Addr, target string
	dial         func(network, addr string) (net.Conn, error)
	mu           sync.Mutex
	ln           net.Listener // nil while cut
	conns        []net.Conn
}

// NewProxy listens on a free loopback port and forwards to target; it is cut
// when the test ends.
func NewProxy(t testing.TB, target string) *Proxy {
	return NewProxyDialing(t, target, net.Dial)
}

// NewProxyDialing is NewProxy with the upstream dial given.
func NewProxyDialing(t testing.TB, target string, dial func(network, addr string) (net.Conn, error)) *Proxy {
	p := &Proxy{target: target, dial: dial}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.Addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.Cut)
	return p
}

func (p *Proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if p.track(ln, c) {
				go p.forward(ln, c)
			}
		}
	}()
}

// track records a connection of the period that ln serves, so that Cut
// closes it. A connection accepted, or dialled upstream, while Cut ran
// belongs to a period that has ended: it is closed at once instead of
// outliving the outage.
func (p *Proxy) track(ln net.Listener, c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != ln {
		_ = c.Close()
		return false
	}
	p.conns = append(p.conns, c)
	return true
}

func (p *Proxy) forward(ln net.Listener, c net.Conn) {
	up, err := p.dial("tcp", p.target)
	if err != nil {
		_ = c.Close()
		return
	}
	if !p.track(ln, up) {
		_ = c.Close()
		return
	}
	go func() { _, _ = io.Copy(up, c); _ = up.Close() }()
	go func() { _, _ = io.Copy(c, up); _ = c.Close() }()
}

// Cut closes the listener and every connection: Redis is "down".
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		_ = p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
}

// Restore listens again on the same address: Redis is "back".
func (p *Proxy) Restore(t testing.TB) {
	ln, err := net.Listen("tcp", p.Addr)
	if err != nil {
		t.Fatal(err)
	}
	p.serve(ln)
}
