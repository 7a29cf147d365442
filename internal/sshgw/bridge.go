package sshgw

import (
	"io"
	"sync"

	"golang.org/x/crypto/ssh"
)

// bridge runs a client's session channel against a host's until the host's
// channel closes: the client's input (in, which reads the client channel)
// to the host, the host's output and error output back, then the host's
// exit-status or exit-signal, end of data, and close. The client's
// requests are the caller's to forward (forward); the caller closes host
// when the client's channel goes away, which ends bridge too.
//
// wmu serializes what is written to the client's error output and the
// client channel's end with the notices written to it from elsewhere
// (liveSession.notify): x/crypto/ssh's channels do not take concurrent
// writes to one stream, nor a write concurrent with CloseWrite.
func bridge(client ssh.Channel, in io.Reader, host ssh.Channel, hostReqs <-chan *ssh.Request, wmu *sync.Mutex) {
	var out sync.WaitGroup
	out.Go(func() { io.Copy(client, host) })
	out.Go(func() { copyLocked(client.Stderr(), host.Stderr(), wmu) })
	go func() {
		io.Copy(host, in)
		host.CloseWrite()
	}()
	// Exit requests wait until the output before them is through.
	var exits []*ssh.Request
	for req := range hostReqs {
		switch req.Type {
		case "exit-status", "exit-signal":
			exits = append(exits, req)
		default:
			forward(client, req)
		}
	}
	out.Wait()
	wmu.Lock()
	defer wmu.Unlock()
	for _, req := range exits {
		client.SendRequest(req.Type, false, req.Payload)
	}
	client.CloseWrite()
	client.Close()
}

// copyLocked copies src to dst until src ends or dst fails, each write
// under mu.
func copyLocked(dst io.Writer, src io.Reader, mu *sync.Mutex) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			mu.Lock()
			_, werr := dst.Write(buf[:n])
			mu.Unlock()
			if werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// forward passes a channel request on to dst and its answer back.
func forward(dst ssh.Channel, req *ssh.Request) {
	ok, err := dst.SendRequest(req.Type, req.WantReply, req.Payload)
	if req.WantReply {
		req.Reply(ok && err == nil, nil)
	}
}

// chanReader reads what a goroutine read from a channel (see readInput):
// the menu reads keys from it, then the bridge the rest.
type chanReader struct {
	c    <-chan []byte
	done <-chan struct{}
	buf  []byte
}

func (r *chanReader) Read(p []byte) (int, error) {
	if len(r.buf) == 0 {
		select {
		case b, ok := <-r.c:
			if !ok {
				return 0, io.EOF
			}
			r.buf = b
		case <-r.done:
			return 0, io.EOF
		}
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// readInput reads src into chunks on a channel until src ends or done is
// closed.
func readInput(src io.Reader, done <-chan struct{}) <-chan []byte {
	c := make(chan []byte)
	go func() {
		defer close(c)
		for {
			buf := make([]byte, 4096)
			n, err := src.Read(buf)
			if n > 0 {
				select {
				case c <- buf[:n]:
				case <-done:
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	return c
}
