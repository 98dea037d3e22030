package trivy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// input hands the report to the JSON decoder in large reads and stops at
// the first NUL byte, which no JSON text contains and which makes binary
// files and UTF-16 text fail with a clear message.
type input struct {
	r   *bufio.Reader
	off int64 // offset of the next byte, counted from the first byte of the file
	err error
}

// newInput wraps r. A UTF-8 byte order mark is skipped (PowerShell writes
// one); UTF-16 and UTF-32 text is refused with a message saying so. base is
// the number of bytes skipped, to be added to the decoder's offsets.
func newInput(r io.Reader) (in *input, base int64, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(4)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, 0, fmt.Errorf("reading the report: %w", err)
	}
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		base = 3
		if _, err := br.Discard(3); err != nil {
			return nil, 0, fmt.Errorf("reading the report: %w", err)
		}
	case bytes.HasPrefix(head, []byte{0, 0, 0xFE, 0xFF}), bytes.HasPrefix(head, []byte{0xFF, 0xFE, 0, 0}):
		return nil, 0, errAt(0, "the report is UTF-32 text: convert it to UTF-8")
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}),
		len(head) >= 2 && (head[0] == 0) != (head[1] == 0):
		return nil, 0, errAt(0, "the report is UTF-16 text (as written by Windows PowerShell's \">\"): convert it to UTF-8")
	}
	return &input{r: br, off: base}, base, nil
}

func (in *input) Read(b []byte) (int, error) {
	if in.err != nil {
		return 0, in.err
	}
	n, err := in.r.Read(b)
	if i := bytes.IndexByte(b[:n], 0); i >= 0 {
		in.err = &nulError{offset: in.off + int64(i)}
		in.off += int64(i)
		if i == 0 {
			return 0, in.err
		}
		return i, nil
	}
	in.off += int64(n)
	return n, err
}
