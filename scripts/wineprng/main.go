// Command wineprng writes bcryptprimitives.dll for Wine prefixes that lack it (Debian's Wine 8.0):
// Go's Windows runtime (since Go 1.24) loads ProcessPrng from that DLL at start and aborts without
// it. The file is a PE32+ DLL with no code: its one export forwards ProcessPrng to
// advapi32.SystemFunction036 (RtlGenRandom), which takes the same (buffer, length) and answers TRUE
// in the low byte as the runtime expects. Newer Wine ships the DLL itself, and then this is not
// needed. Used by scripts/wine-test.sh:
//
//	go run ./scripts/wineprng "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
)

const (
	fileAlign    = 0x200
	sectionRVA   = 0x1000
	exportDirLen = 40
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: wineprng OUTPUT.dll")
		os.Exit(2)
	}
	if err := os.WriteFile(os.Args[1], dll("bcryptprimitives.dll", "ProcessPrng", "advapi32.SystemFunction036"), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// dll lays out the headers in the first file-aligned block and the export section in the second.
func dll(name, export, forwardTo string) []byte {
	// The export section: directory, address table, name table, ordinal table, then the strings.
	eat := uint32(exportDirLen)
	names := eat + 4
	ordinals := names + 4
	strs := ordinals + 2
	nameRVA := sectionRVA + strs
	exportRVA := nameRVA + uint32(len(name)+1)
	forwardRVA := exportRVA + uint32(len(export)+1)
	var sec bytes.Buffer
	le := func(w *bytes.Buffer, vs ...any) {
		for _, v := range vs {
			_ = binary.Write(w, binary.LittleEndian, v)
		}
	}
	le(&sec, uint32(0), uint32(0), uint16(0), uint16(0), nameRVA, uint32(1), uint32(1), uint32(1),
		sectionRVA+eat, sectionRVA+names, sectionRVA+ordinals)
	le(&sec, forwardRVA, exportRVA, uint16(0))
	for _, s := range []string{name, export, forwardTo} {
		sec.WriteString(s)
		sec.WriteByte(0)
	}
	exportLen := uint32(sec.Len()) // the forwarder string must lie inside the export directory
	for sec.Len()%fileAlign != 0 {
		sec.WriteByte(0)
	}

	var h bytes.Buffer
	h.WriteString("MZ")
	h.Write(make([]byte, 0x3a))
	le(&h, uint32(0x40))                                                                            // e_lfanew
	h.WriteString("PE\x00\x00")                                                                     // signature
	le(&h, uint16(0x8664), uint16(1), uint32(0), uint32(0), uint32(0), uint16(240), uint16(0x2022)) // COFF: x64, 1 section, DLL
	le(&h, uint16(0x20b), uint8(14), uint8(0), uint32(0), uint32(sec.Len()), uint32(0), uint32(0), uint32(sectionRVA))
	le(&h, uint64(0x180000000), uint32(0x1000), uint32(fileAlign), uint16(6), uint16(0), uint16(0), uint16(0),
		uint16(6), uint16(0), uint32(0), uint32(sectionRVA+0x1000), uint32(fileAlign), uint32(0), uint16(3), uint16(0),
		uint64(0x100000), uint64(0x1000), uint64(0x100000), uint64(0x1000), uint32(0), uint32(16))
	le(&h, uint32(sectionRVA), exportLen) // data directory 0: exports
	h.Write(make([]byte, 15*8))
	h.WriteString(".edata\x00\x00")
	le(&h, exportLen, uint32(sectionRVA), uint32(sec.Len()), uint32(fileAlign), uint32(0), uint32(0), uint16(0), uint16(0), uint32(0x40000040))
	for h.Len() < fileAlign {
		h.WriteByte(0)
	}
	return append(h.Bytes(), sec.Bytes()...)
}
