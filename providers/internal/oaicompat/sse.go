// Package oaicompat holds the pieces every OpenAI-dialect adapter shares: an
// SSE reader, an allocation-free chat.completion.chunk parser, the Stream
// built from both, the non-streamed response decoder and HTTP helpers.
//
// It is internal to providers/ so adapters can share it without making it
// part of windrose's public seam.
package oaicompat

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/windrose-gw/windrose/internal/bufpool"
)

// DefaultMaxLine caps one SSE line. A provider chunk is a few hundred bytes;
// a megabyte line means a broken or hostile upstream, not a big answer.
const DefaultMaxLine = 1 << 20

// ErrLineTooLong is returned when an SSE line exceeds the reader's cap.
var ErrLineTooLong = errors.New("sse line exceeds the size limit")

// doneMarker is the data payload OpenAI-dialect providers end a stream with.
var doneMarker = []byte("[DONE]")

// SSEReader reads server-sent events and yields their data payloads. It
// reuses its buffers: a payload is valid until the next call to Next.
//
// It implements the parts of the SSE grammar providers use: "data:" lines
// (several in one event are joined with "\n"), "event:" and "id:" fields,
// ":" comment lines (OpenRouter's keep-alives), LF or CRLF line ends, and
// the "[DONE]" terminator.
type SSEReader struct {
	br      *bufio.Reader // from readBufs; nil while parked
	src     primed        // what br reads: a byte read while parked, then the body
	maxLine int
	long    []byte       // assembles a line longer than br's buffer
	data    []byte       // the event's payload; lent by dataBufs, nil between events
	loan    bufpool.Loan // data's
	event   []byte
	id      []byte
	hasData bool
	done    bool
	eof     bool
}

// NewSSEReader returns a reader over r that rejects lines longer than
// maxLine bytes (DefaultMaxLine when maxLine <= 0).
func NewSSEReader(r io.Reader, maxLine int) *SSEReader {
	if maxLine <= 0 {
		maxLine = DefaultMaxLine
	}
	return &SSEReader{src: primed{r: r}, maxLine: maxLine}
}

// readBufs recycles the read buffers of streams: a fresh buffer per stream
// is garbage the collector must clear at every request.
var readBufs = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, readBufSize) }}

// readBufSize is sized for SSE events, which are a few hundred bytes (a
// tool call's arguments, a kilobyte or two); a longer line is assembled in
// SSEReader.long. 16 KiB held by every in-flight stream was memory per
// stream (issue 15).
const readBufSize = 4 << 10

// dataBufs lends event payload buffers the same way: a payload is only
// valid until the next call to Next, so Next gives it back first, and a
// reader waiting for its next event holds none.
var dataBufs = bufpool.New(512)

// dropData gives the payload buffer back.
func (s *SSEReader) dropData() {
	s.loan.Return(dataBufs, s.data)
	s.data = nil
}

// A reader parks between events when nothing is buffered: its buffer goes
// back to readBufs, and the next event's first byte is read into primed
// before a buffer is taken again. A stream waiting for its provider (most
// of a slow stream's life) then holds no read buffer; only as many exist
// as events are being read at once.

// primed reads b first when has is set, then r.
type primed struct {
	r   io.Reader
	b   [1]byte
	has bool
}

// unhooked is a reader that runs a hook before each read (Stream's
// notifyReader) and can also be read without it.
type unhooked interface{ Unhooked() io.Reader }

func (p *primed) Read(q []byte) (int, error) {
	if !p.has || len(q) == 0 {
		return p.r.Read(q)
	}
	p.has = false
	q[0] = p.b[0]
	// The rest of the event is most likely buffered below already. Reading
	// it is part of the read that brought the byte: a hook before reads ran
	// for that one and need not run again.
	r := p.r
	if u, ok := r.(unhooked); ok {
		r = u.Unhooked()
	}
	n, err := r.Read(q[1:])
	return n + 1, err
}

// park hands the buffer back when it holds nothing unread.
func (s *SSEReader) park() {
	if s.br != nil && s.br.Buffered() == 0 {
		s.br.Reset(nil)
		readBufs.Put(s.br)
		s.br = nil
	}
}

// unpark waits for the next byte of input and takes a buffer for it.
func (s *SSEReader) unpark() error {
	for {
		n, err := s.src.r.Read(s.src.b[:])
		if n == 1 {
			s.src.has = true
			break
		}
		if err != nil {
			return err
		}
	}
	s.br = readBufs.Get().(*bufio.Reader)
	s.br.Reset(&s.src)
	return nil
}

// Release hands the read buffer back for another reader; Next returns
// io.EOF from then on. Payloads Next returned must no longer be used.
func (s *SSEReader) Release() {
	s.dropData()
	if s.br != nil {
		s.br.Reset(nil)
		readBufs.Put(s.br)
		s.br = nil
	}
	s.eof = true
}

// Done reports whether the "[DONE]" terminator was read.
func (s *SSEReader) Done() bool { return s.done }

// Event returns the "event:" field of the last payload Next returned, or
// nil when the event had none.
func (s *SSEReader) Event() []byte { return s.event }

// ID returns the last "id:" field seen (SSE ids persist across events).
func (s *SSEReader) ID() []byte { return s.id }

// Next returns the data of the next event that has any. It returns io.EOF
// after "[DONE]" or at the end of input; an event cut off by the end of
// input is discarded, as the SSE spec says. Other errors come from the
// underlying reader or are ErrLineTooLong.
func (s *SSEReader) Next() ([]byte, error) {
	if s.done || s.eof {
		return nil, io.EOF
	}
	s.dropData()
	s.event, s.hasData = s.event[:0], false
	for {
		line, err := s.readLine()
		if err == io.EOF {
			s.eof = true
			// Be lenient with a server that closes right after
			// "data: [DONE]" without the blank line.
			if len(line) > 0 {
				s.field(line)
			}
			if s.hasData && bytes.Equal(s.data, doneMarker) {
				s.done = true
			}
			return nil, io.EOF
		}
		if err != nil {
			return nil, err
		}
		if len(line) == 0 {
			if !s.hasData {
				continue // blank line after a comment or a data-less event
			}
			if bytes.Equal(s.data, doneMarker) {
				s.done = true
				return nil, io.EOF
			}
			s.park()
			return s.data, nil
		}
		s.field(line)
	}
}

// field applies one non-blank line to the event being assembled.
func (s *SSEReader) field(line []byte) {
	if line[0] == ':' {
		return // comment / keep-alive
	}
	name, value := line, []byte(nil)
	if i := bytes.IndexByte(line, ':'); i >= 0 {
		name, value = line[:i], line[i+1:]
		if len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
	}
	switch string(name) {
	case "data":
		if !s.loan.Held() {
			s.data = s.loan.Take(dataBufs)
		}
		if s.hasData {
			s.data = append(s.data, '\n')
		}
		s.data = append(s.data, value...)
		s.hasData = true
	case "event":
		s.event = append(s.event[:0], value...)
	case "id":
		s.id = append(s.id[:0], value...)
	}
	// "retry" and unknown fields are ignored, as the spec says.
}

// readLine returns the next line without its line end. At the end of input
// it returns the unterminated rest (nil if none) together with io.EOF.
func (s *SSEReader) readLine() ([]byte, error) {
	if s.br == nil {
		if err := s.unpark(); err != nil {
			return nil, err
		}
	}
	line, err := s.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		s.long = append(s.long[:0], line...)
		for err == bufio.ErrBufferFull {
			if len(s.long) > s.maxLine {
				return nil, fmt.Errorf("%w (%d bytes)", ErrLineTooLong, s.maxLine)
			}
			line, err = s.br.ReadSlice('\n')
			s.long = append(s.long, line...)
		}
		line = s.long
	}
	if len(line) > s.maxLine+2 {
		return nil, fmt.Errorf("%w (%d bytes)", ErrLineTooLong, s.maxLine)
	}
	if err != nil {
		if err == io.EOF && len(line) > 0 {
			return trimEOL(line), io.EOF
		}
		return nil, err
	}
	return trimEOL(line), nil
}

func trimEOL(line []byte) []byte {
	line = bytes.TrimSuffix(line, []byte("\n"))
	return bytes.TrimSuffix(line, []byte("\r"))
}
