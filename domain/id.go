package domain

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"time"
)

// ID identifies every entity. It is a UUID so it fits the seed's uuid columns;
// new ids are version 7 (time-ordered) so primary-key indexes grow at the end
// instead of splitting pages at random.
type ID [16]byte

// NilID is the zero ID: "no id", e.g. an admin API key without a group.
var NilID ID

// NewID returns a fresh UUIDv7 (RFC 9562): 48 bits of Unix milliseconds,
// version 7, 12 random bits, variant 10, 62 random bits.
func NewID() ID {
	var id ID
	_, _ = rand.Read(id[:]) // crypto/rand.Read never fails (Go 1.24+).
	ms := uint64(time.Now().UnixMilli())
	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], ms)
	copy(id[0:6], ts[2:8])
	id[6] = 0x70 | (id[6] & 0x0f)
	id[8] = 0x80 | (id[8] & 0x3f)
	return id
}

// ParseID reads the canonical 36-character form, in either case.
func ParseID(s string) (ID, error) {
	var id ID
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return NilID, invalidID()
	}
	var compact [32]byte
	n := 0
	for i := 0; i < 36; i++ {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			continue
		}
		compact[n] = s[i]
		n++
	}
	if _, err := hex.Decode(id[:], compact[:]); err != nil {
		return NilID, invalidID()
	}
	return id, nil
}

func invalidID() *Error {
	return Invalid("malformed id", FieldError{Field: "id", Message: "must be a UUID like 0190a5e4-7c1b-7d2e-9f00-1a2b3c4d5e6f"})
}

// MustParseID is for constants and tests; it panics on a malformed id.
func MustParseID(s string) ID {
	id, err := ParseID(s)
	if err != nil {
		panic(err)
	}
	return id
}

// String is the canonical lower-case form.
func (id ID) String() string {
	var b [36]byte
	hex.Encode(b[0:8], id[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], id[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], id[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], id[8:10])
	b[23] = '-'
	hex.Encode(b[24:36], id[10:16])
	return string(b[:])
}

// Compare orders ids as their canonical strings order (byte by byte),
// without formatting them.
func (id ID) Compare(other ID) int { return bytes.Compare(id[:], other[:]) }

// IsZero reports whether id is NilID.
func (id ID) IsZero() bool { return id == NilID }

// MarshalText lets IDs travel as strings in JSON and task payloads.
func (id ID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText parses the canonical form.
func (id *ID) UnmarshalText(b []byte) error {
	parsed, err := ParseID(string(b))
	if err != nil {
		return err
	}
	*id = parsed
	return nil
}
