// Command ttc2ttf extracts one font of a TrueType collection (.ttc) into a
// standalone .ttf: the PDF writer reads only single fonts, and Debian ships
// WenQuanYi Micro Hei as a collection. It copies the chosen font's tables
// byte for byte under a new table directory; checksums are unchanged
// because table contents are.
//
//	go run ./tools/ttc2ttf /usr/share/fonts/truetype/wqy/wqy-microhei.ttc 0 out.ttf
package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: ttc2ttf IN.ttc INDEX OUT.ttf")
		os.Exit(2)
	}
	in, err := os.ReadFile(os.Args[1])
	if err != nil {
		fail(err)
	}
	idx, err := strconv.Atoi(os.Args[2])
	if err != nil {
		fail(err)
	}
	out, err := Extract(in, idx)
	if err != nil {
		fail(err)
	}
	if err := os.WriteFile(os.Args[3], out, 0o644); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "ttc2ttf:", err)
	os.Exit(1)
}

type table struct {
	tag                 [4]byte
	sum, offset, length uint32
}

// Extract returns font idx of the collection ttc as a standalone font.
func Extract(ttc []byte, idx int) ([]byte, error) {
	be := binary.BigEndian
	if len(ttc) < 12 || string(ttc[:4]) != "ttcf" {
		return nil, errors.New("not a TrueType collection")
	}
	n := int(be.Uint32(ttc[8:]))
	if idx < 0 || idx >= n || len(ttc) < 12+4*n {
		return nil, fmt.Errorf("font %d not in a collection of %d", idx, n)
	}
	off := int(be.Uint32(ttc[12+4*idx:]))
	if off+12 > len(ttc) {
		return nil, errors.New("truncated offset table")
	}
	numTables := int(be.Uint16(ttc[off+4:]))
	dir := off + 12
	if dir+16*numTables > len(ttc) {
		return nil, errors.New("truncated table directory")
	}
	tables := make([]table, numTables)
	for i := range tables {
		p := ttc[dir+16*i:]
		copy(tables[i].tag[:], p[:4])
		tables[i].sum, tables[i].offset, tables[i].length = be.Uint32(p[4:]), be.Uint32(p[8:]), be.Uint32(p[12:])
		if int(tables[i].offset)+int(tables[i].length) > len(ttc) {
			return nil, fmt.Errorf("table %s runs past the file", tables[i].tag)
		}
	}
	sort.Slice(tables, func(i, j int) bool { return string(tables[i].tag[:]) < string(tables[j].tag[:]) })
	out := make([]byte, 12+16*numTables)
	copy(out, ttc[off:off+12]) // sfnt version and the search fields
	pos := len(out)
	for i, t := range tables {
		for pos%4 != 0 {
			out = append(out, 0)
			pos++
		}
		e := out[12+16*i:]
		copy(e[:4], t.tag[:])
		be.PutUint32(e[4:], t.sum)
		be.PutUint32(e[8:], uint32(pos))
		be.PutUint32(e[12:], t.length)
		out = append(out, ttc[t.offset:t.offset+t.length]...)
		pos += int(t.length)
	}
	for len(out)%4 != 0 {
		out = append(out, 0)
	}
	return out, nil
}
