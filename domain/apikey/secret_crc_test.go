package apikey

import (
	"hash/crc32"
	"testing"
)

func TestCRC32IEEEMatchesTheStandardLibrary(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "a", "0123456789ABCDEFGHIJKLMNOPQRSTUV", "egk_whatever-is-presented"} {
		if got, want := crc32IEEE(s), crc32.ChecksumIEEE([]byte(s)); got != want {
			t.Errorf("crc32IEEE(%q) = %08x, want %08x", s, got, want)
		}
	}
}
