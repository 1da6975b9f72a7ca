package redistest_test

import (
	"net"
	"testing"
	"time"

	"github.com/extguard/extguard/adapters/redis/redistest"
)

// The outage test's proxy once let a connection accepted just before cut()
// live on (it was recorded only once its upstream was dialled, after cut had
// closed the others), so the client kept talking to Redis "during the
// outage". Here the upstream dial is held until cut has run.
func TestProxyCutClosesAConnectionStillBeingDialled(t *testing.T) {
	upstream, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer upstream.Close()
	go func() {
		for {
			if _, err := upstream.Accept(); err != nil {
				return
			}
		}
	}()
	dialling, release := make(chan struct{}), make(chan struct{})
	proxy := redistest.NewProxyDialing(t, upstream.Addr().String(), func(network, addr string) (net.Conn, error) {
		close(dialling)
		<-release
		return net.Dial(network, addr)
	})
	c, err := net.Dial("tcp", proxy.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	<-dialling
	proxy.Cut()
	close(release)
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, err = c.Read(make([]byte, 1))
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("a connection accepted before cut() is still open after it")
	}
	if err == nil {
		t.Fatal("read data through a cut proxy")
	}
}
