package rapid

import (
	"errors"
	"net"
	"net/url"
	"os"
)

// scrub returns a failed request's error with a message that names neither
// the request's URL nor the API's host or address (net/http puts both in
// its errors) nor a credential; errors.Is and errors.As still reach the
// cause (context.DeadlineExceeded, net.Error...).
func (c *Client) scrub(err error, sig string) error {
	return &scrubbedError{msg: "availability request: " + c.redact(describe(err), sig), err: err}
}

// describe explains a transport failure without the URL or address it was
// about.
func describe(err error) string {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return describe(ue.Err)
	}
	if oe, ok := errors.AsType[*net.OpError](err); ok {
		return oe.Op + ": " + describe(oe.Err)
	}
	if de, ok := errors.AsType[*net.DNSError](err); ok {
		if de.IsNotFound {
			return "lookup: no such host"
		}
		return "lookup: " + de.Err
	}
	if se, ok := errors.AsType[*os.SyscallError](err); ok {
		return se.Syscall + ": " + se.Err.Error()
	}
	return err.Error()
}

// scrubbedError shows a cleaned message but keeps the cause for errors.Is.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }
