package postgres

import (
	"encoding/binary"
	"net/netip"
	"time"
)

// copyBuffer builds the data of COPY ... FROM STDIN (FORMAT binary)
// (PostgreSQL's "Binary Format" of COPY) for the few column types the
// report history has. pgx's CopyFrom encodes through a value per column
// boxed in an interface and looked up in its type map: on the ingest path
// that was a fifth of the server's CPU for rows whose types never change.
type copyBuffer struct{ b []byte }

// copySignature is the binary COPY header: signature, flags, extension length.
var copySignature = []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")

// postgresEpochMicros is 2000-01-01T00:00:00Z in Unix microseconds.
const postgresEpochMicros = 946_684_800_000_000

func newCopyBuffer(sizeHint int) *copyBuffer {
	c := &copyBuffer{b: make([]byte, 0, len(copySignature)+sizeHint+2)}
	c.b = append(c.b, copySignature...)
	return c
}

// row starts a row of n fields.
func (c *copyBuffer) row(n int) { c.b = binary.BigEndian.AppendUint16(c.b, uint16(n)) }

func (c *copyBuffer) field(n int) { c.b = binary.BigEndian.AppendUint32(c.b, uint32(n)) }

func (c *copyBuffer) null() { c.b = binary.BigEndian.AppendUint32(c.b, 0xFFFFFFFF) }

func (c *copyBuffer) uuid(id [16]byte) {
	c.field(16)
	c.b = append(c.b, id[:]...)
}

func (c *copyBuffer) text(s string) {
	c.field(len(s))
	c.b = append(c.b, s...)
}

// textOrNull writes "" as NULL.
func (c *copyBuffer) textOrNull(s string) {
	if s == "" {
		c.null()
		return
	}
	c.text(s)
}

func (c *copyBuffer) boolean(v bool) {
	c.field(1)
	if v {
		c.b = append(c.b, 1)
	} else {
		c.b = append(c.b, 0)
	}
}

func (c *copyBuffer) timestamptz(t time.Time) {
	c.field(8)
	c.b = binary.BigEndian.AppendUint64(c.b, uint64(t.UnixMicro()-postgresEpochMicros))
}

// inet writes a host address (full prefix length), or NULL for an invalid one.
func (c *copyBuffer) inet(a netip.Addr) {
	if !a.IsValid() {
		c.null()
		return
	}
	a = a.Unmap()
	family := byte(2) // PGSQL_AF_INET
	if a.Is6() {
		family = 3 // PGSQL_AF_INET6
	}
	raw := a.AsSlice()
	c.field(4 + len(raw))
	c.b = append(c.b, family, byte(a.BitLen()), 0 /* not cidr */, byte(len(raw)))
	c.b = append(c.b, raw...)
}

// bytes ends the data (the trailer) and returns it.
func (c *copyBuffer) bytes() []byte {
	return binary.BigEndian.AppendUint16(c.b, 0xFFFF)
}
