package main

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
	"testing"
)

// TestDLLForwardsProcessPrng: the file is a PE32+ x64 DLL whose export directory forwards
// ProcessPrng (the Wine run proves the loader takes it; this keeps the layout from breaking unseen).
func TestDLLForwardsProcessPrng(t *testing.T) {
	b := dll("bcryptprimitives.dll", "ProcessPrng", "advapi32.SystemFunction036")
	f, err := pe.NewFile(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	oh, ok := f.OptionalHeader.(*pe.OptionalHeader64)
	if !ok || f.Machine != pe.IMAGE_FILE_MACHINE_AMD64 || f.Characteristics&pe.IMAGE_FILE_DLL == 0 || len(f.Sections) != 1 {
		t.Fatalf("not an x64 DLL with one section: %+v", f.FileHeader)
	}
	exp := oh.DataDirectory[pe.IMAGE_DIRECTORY_ENTRY_EXPORT]
	data, err := f.Sections[0].Data()
	if err != nil {
		t.Fatal(err)
	}
	sec := f.Sections[0].VirtualAddress
	at := func(rva uint32) []byte { return data[rva-sec:] }
	cstr := func(rva uint32) string { s := at(rva); return string(s[:bytes.IndexByte(s, 0)]) }
	dir := at(exp.VirtualAddress)
	u32 := func(b []byte, off int) uint32 { return binary.LittleEndian.Uint32(b[off:]) }
	if n := u32(dir, 24); n != 1 || cstr(u32(dir, 12)) != "bcryptprimitives.dll" {
		t.Fatalf("names %d, dll %q", n, cstr(u32(dir, 12)))
	}
	name := cstr(u32(at(u32(dir, 32)), 0))
	fn := u32(at(u32(dir, 28)), 0)
	if name != "ProcessPrng" || fn < exp.VirtualAddress || fn >= exp.VirtualAddress+exp.Size || cstr(fn) != "advapi32.SystemFunction036" {
		t.Fatalf("export %q -> %#x (%q): not a forwarder inside the export directory", name, fn, cstr(fn))
	}
}
