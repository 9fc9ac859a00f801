package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// errUsage reports a command line that was not understood, after its
// usage was printed: the exit status is 2, with no further message.
var errUsage = errors.New("usage")

// command is one subcommand's flag set: its help is the usage line, a
// description and its own flags only, written as --name.
type command struct {
	*flag.FlagSet
	usage, about string
}

// newCommand returns the flag set of subcommand name, whose usage line is
// "hotelrates " + usage.
func newCommand(name, usage, about string) *command {
	c := &command{FlagSet: flag.NewFlagSet(name, flag.ContinueOnError), usage: usage, about: about}
	c.Usage = func() { c.printHelp(c.Output()) }
	return c
}

func (c *command) printHelp(w io.Writer) {
	fmt.Fprintf(w, "usage: hotelrates %s\n", c.usage)
	if c.about != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimRight(c.about, "\n"))
	}
	n := 0
	c.VisitAll(func(*flag.Flag) { n++ })
	if n == 0 {
		return
	}
	fmt.Fprintf(w, "\nflags:\n")
	c.VisitAll(func(f *flag.Flag) {
		arg, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if arg != "" {
			line += " " + arg
		}
		fmt.Fprintf(w, "%s\n    \t%s", line, strings.ReplaceAll(usage, "\n", "\n    \t"))
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "0s" {
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		fmt.Fprintln(w)
	})
}

// parse parses args. Asked for with -h or --help, the help goes to stdout
// and parse returns flag.ErrHelp, which the caller returns as success;
// a bad flag is reported on stderr with the help, as errUsage.
func (c *command) parse(args []string, stdout, stderr io.Writer) error {
	var out bytes.Buffer
	c.SetOutput(&out)
	err := c.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		c.printHelp(stdout)
		return flag.ErrHelp
	case err != nil:
		stderr.Write(out.Bytes())
		return errUsage
	}
	return nil
}

// helpOr maps a parse error to what the subcommand returns: nil for a
// help request, else the error.
func helpOr(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

// runVersion prints the module version and the build's VCS stamp.
func runVersion(args []string, stdout, stderr io.Writer) error {
	c := newCommand("version", "version", "Print the version of hotelrates, from the build information.")
	if err := c.parse(args, stdout, stderr); err != nil {
		return helpOr(err)
	}
	fmt.Fprintln(stdout, versionString())
	return nil
}

func versionString() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "hotelrates (no build information)"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	s := "hotelrates " + v + " " + bi.GoVersion
	var rev, at, modified string
	for _, kv := range bi.Settings {
		switch kv.Key {
		case "vcs.revision":
			rev = kv.Value
		case "vcs.time":
			at = kv.Value
		case "vcs.modified":
			modified = kv.Value
		}
	}
	if rev != "" {
		s += " " + rev
		if modified == "true" {
			s += "+modified"
		}
		if at != "" {
			s += " " + at
		}
	}
	return s
}
