package httpapi

import "bytes"

// reportElementsBound is an upper bound on the elements of the arrays that
// are values of a report body's top-level object, of which "extensions" is
// the only one the contract has. The report handler refuses a body over
// report.MaxItems with it before decoding: a 1 MiB body of 349,000 empty
// items ([{},{},...]) made the decoder allocate 126 MB, and null items
// are two bytes shorter. Bodies with fewer commas than limit cannot exceed
// it (each extra element needs a comma), so a typical report costs one
// vectorised bytes.Count; only bodies with that many commas are scanned.
func reportElementsBound(body []byte, limit int) int {
	commas := bytes.Count(body, []byte{','})
	if commas < limit {
		return commas + 1
	}
	n, depth, topArray := 0, 0, false
	for i := 0; i < len(body); i++ {
		switch c := body[i]; c {
		case '"':
			end := stringEnd(body, i)
			if end < 0 {
				return n // unterminated: the decoder refuses it
			}
			i = end
		case '{', '[':
			depth++
			if depth == 2 {
				topArray = c == '['
				if topArray {
					n++ // its first element (an empty array counts one too)
				}
			}
		case '}', ']':
			depth--
		case ',':
			if depth == 2 && topArray {
				n++
			}
		}
	}
	return n
}

// stringEnd is the index of the quote that closes the JSON string opening
// at body[open], or -1.
func stringEnd(body []byte, open int) int {
	for from := open + 1; ; {
		k := bytes.IndexByte(body[from:], '"')
		if k < 0 {
			return -1
		}
		q := from + k
		backslashes := 0
		for p := q - 1; p > open && body[p] == '\\'; p-- {
			backslashes++
		}
		if backslashes%2 == 0 {
			return q
		}
		from = q + 1
	}
}
