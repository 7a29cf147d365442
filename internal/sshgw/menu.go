package sshgw

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/localyun/localyun"
)

// The menu: the user's host accounts, numbered. With a pty it is a small
// full-screen list: Up/Down (or k/j) move, digits type a number, Enter
// opens the marked (or typed) entry, q, Ctrl-C or Ctrl-D leave. Without a
// pty (ssh -T) it prints the list and reads a number and a newline. Idle
// longer than Options.MenuIdle, it closes.

// menuState is what the menu shows.
type menuState struct {
	title  string
	pairs  []localyun.BastionAccess
	sel    int    // marked entry
	typed  string // digits typed
	status string
}

// key is one key press of the menu.
type key int

const (
	keyNone key = iota
	keyUp
	keyDown
	keyEnter
	keyQuit
	keyBackspace
	keyDigit
)

// menu runs the menu and bridges to the chosen host account.
func (s *outerSession) menu(ctx context.Context) {
	pairs, err := s.pairs(ctx)
	if err != nil {
		s.fail("the bastion cannot tell your host accounts now; try again")
		return
	}
	if len(pairs) == 0 {
		s.cn.g.denied(s.cn.login, nil) // audit.go
		s.fail("there is no host account you may use")
		return
	}
	done := make(chan struct{})
	defer close(done)
	input := readInput(s.ch, done)
	in := &chanReader{c: input, done: done}
	m := &menuState{pairs: pairs, title: "localyun bastion " + s.cn.login.instanceID + ": host accounts of " + s.cn.login.userName}
	s.mu.Lock()
	withPty := s.pty != nil
	s.mu.Unlock()
	var choice int
	if withPty {
		choice = s.menuPty(ctx, m, in)
	} else {
		choice = s.menuLines(ctx, m, in)
	}
	if choice < 0 {
		return
	}
	if withPty {
		fmt.Fprint(s.ch, "\x1b[H\x1b[2J")
	}
	a := pairs[choice]
	fmt.Fprintf(s.ch, "localyun: connecting to %s (%s) as %s\r\n", a.Host.Name, hostAddr(a.Host), a.Account.Name)
	s.connect(ctx, a, "shell", nil, in, modeMenu)
}

// menuPty runs the full-screen menu; it returns the chosen index, or -1
// when the session ended.
func (s *outerSession) menuPty(ctx context.Context, m *menuState, in *chanReader) int {
	idle := time.NewTimer(s.cn.g.opts.MenuIdle)
	defer idle.Stop()
	for {
		s.draw(m)
		select {
		case <-ctx.Done():
			return -1
		case <-idle.C:
			s.fail("idle at the menu for " + s.cn.g.opts.MenuIdle.String() + "; bye")
			return -1
		case <-s.resize:
			continue
		case b, ok := <-in.c:
			if !ok {
				return -1
			}
			idle.Reset(s.cn.g.opts.MenuIdle)
			for len(b) > 0 {
				var k key
				var d byte
				k, d, b = nextKey(b)
				if c, over := m.press(k, d); over {
					if c < 0 {
						fmt.Fprint(s.ch, "\x1b[H\x1b[2J")
						s.exit(0)
					} else {
						in.buf = b // typed ahead: the host's
					}
					return c
				}
			}
		}
	}
}

// press applies a key; over is true when the menu is done (c is the
// choice, -1 to quit).
func (m *menuState) press(k key, digit byte) (c int, over bool) {
	m.status = ""
	switch k {
	case keyUp:
		m.sel = (m.sel + len(m.pairs) - 1) % len(m.pairs)
		m.typed = ""
	case keyDown:
		m.sel = (m.sel + 1) % len(m.pairs)
		m.typed = ""
	case keyDigit:
		m.typed += string(digit)
		if n, err := strconv.Atoi(m.typed); err == nil && n >= 1 && n <= len(m.pairs) {
			m.sel = n - 1
		} else {
			m.status = "no entry " + m.typed
		}
	case keyBackspace:
		if m.typed != "" {
			m.typed = m.typed[:len(m.typed)-1]
		}
	case keyEnter:
		if m.typed != "" {
			if n, err := strconv.Atoi(m.typed); err != nil || n < 1 || n > len(m.pairs) {
				m.status, m.typed = "no entry "+m.typed, ""
				return 0, false
			}
		}
		return m.sel, true
	case keyQuit:
		return -1, true
	}
	return 0, false
}

// nextKey decodes the first key of b and returns the rest.
func nextKey(b []byte) (key, byte, []byte) {
	switch c := b[0]; {
	case c == 0x1b:
		if len(b) >= 3 && (b[1] == '[' || b[1] == 'O') {
			switch b[2] {
			case 'A':
				return keyUp, 0, b[3:]
			case 'B':
				return keyDown, 0, b[3:]
			}
			// Another sequence: skip to its final byte.
			i := 2
			for i < len(b) && (b[i] < 0x40 || b[i] > 0x7e) {
				i++
			}
			return keyNone, 0, b[min(i+1, len(b)):]
		}
		return keyNone, 0, b[1:]
	case c == '\r' || c == '\n':
		if c == '\r' && len(b) > 1 && b[1] == '\n' {
			b = b[1:]
		}
		return keyEnter, 0, b[1:]
	case c >= '0' && c <= '9':
		return keyDigit, c, b[1:]
	case c == 'q' || c == 'Q' || c == 3 || c == 4:
		return keyQuit, 0, b[1:]
	case c == 0x7f || c == 8:
		return keyBackspace, 0, b[1:]
	case c == 'k':
		return keyUp, 0, b[1:]
	case c == 'j':
		return keyDown, 0, b[1:]
	}
	return keyNone, 0, b[1:]
}

// draw redraws the full-screen menu, showing the entries around the
// marked one that fit the terminal.
func (s *outerSession) draw(m *menuState) {
	s.mu.Lock()
	rows := 24
	if s.pty != nil && s.pty.Rows > 0 {
		rows = int(s.pty.Rows)
	}
	s.mu.Unlock()
	fit := max(rows-5, 1)
	first := 0
	if m.sel >= fit {
		first = m.sel - fit + 1
	}
	var b strings.Builder
	b.WriteString("\x1b[H\x1b[2J" + m.title + "\r\n\r\n")
	for i := first; i < len(m.pairs) && i < first+fit; i++ {
		mark := "  "
		if i == m.sel {
			mark = "> "
		}
		a := m.pairs[i]
		fmt.Fprintf(&b, "%s%3d  %-24s %-22s %s\r\n", mark, i+1, a.Host.Name, hostAddr(a.Host), a.Account.Name)
	}
	fmt.Fprintf(&b, "\r\nUp/Down or a number, Enter to connect, q to quit. %s\r\n> %s", m.status, m.typed)
	s.ch.Write([]byte(b.String()))
}

// menuLines runs the menu without a pty: the list, then a number and a
// newline (q or end of input to quit).
func (s *outerSession) menuLines(ctx context.Context, m *menuState, in *chanReader) int {
	var b strings.Builder
	b.WriteString(m.title + "\n")
	for i, a := range m.pairs {
		fmt.Fprintf(&b, "%3d  %s  %s  %s\n", i+1, a.Host.Name, hostAddr(a.Host), a.Account.Name)
	}
	b.WriteString("number (q to quit): ")
	s.ch.Write([]byte(b.String()))
	idle := time.NewTimer(s.cn.g.opts.MenuIdle)
	defer idle.Stop()
	var line []byte
	for {
		select {
		case <-ctx.Done():
			return -1
		case <-idle.C:
			s.fail("idle at the menu for " + s.cn.g.opts.MenuIdle.String() + "; bye")
			return -1
		case chunk, ok := <-in.c:
			if !ok {
				s.exit(0)
				return -1
			}
			line = append(line, chunk...)
			i := strings.IndexByte(string(line), '\n')
			if i < 0 {
				continue
			}
			in.buf = line[i+1:]
			text := strings.TrimSpace(string(line[:i]))
			if text == "q" || text == "" {
				s.exit(0)
				return -1
			}
			n, err := strconv.Atoi(text)
			if err != nil || n < 1 || n > len(m.pairs) {
				s.fail("no entry " + strconv.Quote(text))
				return -1
			}
			return n - 1
		}
	}
}
