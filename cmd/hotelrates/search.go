package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"hotelrates"
	"hotelrates/httpapi"
	"hotelrates/sandbox"
	"hotelrates/service"
)

func runSearch(ctx context.Context, args []string, getenv func(string) string, log *slog.Logger, level *slog.LevelVar, stdout, stderr io.Writer) error {
	fs := newCommand("search", "search [flags]", "Run one search, in-process on the embedded default or against --server, and print a table.")
	server := fs.String("server", "", "hotelrates server URL (default: run in-process on the embedded default)")
	cfgPath := fs.String("config", "", "config file for the in-process run")
	hotels := fs.String("hotels", "H00001-H00020", "hotel ids: a range H00001-H00200 and/or a comma-separated list")
	checkIn := fs.String("check-in", time.Now().AddDate(0, 1, 0).Format(hotelrates.DateLayout), "check-in date YYYY-MM-DD")
	nights := fs.Int("nights", 2, "nights")
	adults := fs.Int("adults", 2, "adults")
	children := fs.String("children", "", "children's ages, comma-separated (e.g. 9,4)")
	rooms := fs.Int("rooms", 1, "rooms")
	currency := fs.String("currency", "USD", "currency: USD, EUR or GBP")
	vendors := fs.String("vendors", "", "comma-separated vendor subset (default: all)")
	timeout := fs.Duration("timeout", 0, "search deadline (default: the server's)")
	if err := fs.parse(args, stdout, stderr); err != nil {
		return helpOr(err)
	}
	ids, err := parseHotels(*hotels)
	if err != nil {
		return err
	}
	in, err := hotelrates.ParseDate(*checkIn)
	if err != nil {
		return fmt.Errorf("--check-in: %w", err)
	}
	req := httpapi.SearchRequest{
		HotelIDs: ids, CheckIn: in.String(), CheckOut: in.AddDays(*nights).String(),
		Adults: adults, Rooms: rooms, Currency: *currency,
	}
	if *vendors != "" {
		req.Vendors = strings.Split(*vendors, ",")
	}
	if *children != "" {
		for _, a := range strings.Split(*children, ",") {
			age, err := strconv.Atoi(strings.TrimSpace(a))
			if err != nil {
				return fmt.Errorf("--children: %q is not an age", a)
			}
			req.Children = append(req.Children, age)
		}
	}
	if *timeout > 0 {
		ms := timeout.Milliseconds()
		req.TimeoutMS = &ms
	}

	var got []httpapi.Hotel
	p := newProgress(stderr, len(ids))
	progress := func(h httpapi.Hotel) {
		got = append(got, h)
		p.update(len(got))
	}
	var sum httpapi.Summary
	if *server != "" {
		c := &httpapi.Client{BaseURL: *server, APIKey: os.Getenv("HOTELRATES_API_KEY")}
		sum, err = c.Stream(ctx, req, progress)
	} else {
		sum, err = searchInProcess(ctx, *cfgPath, getenv, log, level, req, progress)
	}
	p.done(len(got))
	if err != nil {
		return err
	}
	printTable(stdout, inRequestOrder(got, ids), sum)
	return nil
}

// progress reports how many hotels have answered: rewritten in place
// (with \r) on a terminal, else a plain line now and then (at most one a
// second) and one at the end, so a log or pipe gets no control characters.
type progress struct {
	w        io.Writer
	total    int
	terminal bool
	last     time.Time // of the last plain line
	now      func() time.Time
}

func newProgress(w io.Writer, total int) *progress {
	return &progress{w: w, total: total, terminal: isTerminal(w), now: time.Now}
}

func (p *progress) update(n int) {
	if p.terminal {
		fmt.Fprintf(p.w, "\r%d/%d hotels", n, p.total)
		return
	}
	if t := p.now(); t.Sub(p.last) >= time.Second && n < p.total {
		p.last = t
		fmt.Fprintf(p.w, "%d/%d hotels\n", n, p.total)
	}
}

func (p *progress) done(n int) {
	if p.terminal {
		fmt.Fprintln(p.w)
		return
	}
	fmt.Fprintf(p.w, "%d/%d hotels\n", n, p.total)
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// inRequestOrder orders hotels as the request listed their ids (the JSON
// API's order), whatever order they completed in; a hotel the request did
// not list goes last, by id.
func inRequestOrder(hotels []httpapi.Hotel, ids []string) []httpapi.Hotel {
	pos := make(map[string]int, len(ids))
	for i, id := range ids {
		if _, dup := pos[id]; !dup {
			pos[id] = i
		}
	}
	rank := func(id string) int {
		if i, ok := pos[id]; ok {
			return i
		}
		return len(ids)
	}
	out := slices.Clone(hotels)
	slices.SortStableFunc(out, func(a, b httpapi.Hotel) int {
		return cmp.Or(cmp.Compare(rank(a.HotelID), rank(b.HotelID)), strings.Compare(a.HotelID, b.HotelID))
	})
	return out
}

// searchInProcess starts the service without a listener and streams one
// search through the engine, as the API would.
func searchInProcess(ctx context.Context, cfgPath string, getenv func(string) string, log *slog.Logger, level *slog.LevelVar, req httpapi.SearchRequest, onHotel func(httpapi.Hotel)) (httpapi.Summary, error) {
	cfg, err := loadConfig(cfgPath, getenv)
	if err != nil {
		return httpapi.Summary{}, err
	}
	if level != nil && cfg.LogLevel != "" {
		l, err := logLevel(cfg.LogLevel) // config.Validate has checked it
		if err != nil {
			return httpapi.Summary{}, err
		}
		level.Set(l)
	}
	// A spool of its own: the configured one may belong to a running
	// serve (the archive's lock would refuse it). Records still go to the
	// configured archive, under this process's instance name.
	spool, err := os.MkdirTemp("", "hotelrates-search-spool-")
	if err != nil {
		return httpapi.Summary{}, err
	}
	cfg.Archive.SpoolDir = spool
	svc, err := service.New(cfg, service.Options{Logger: log})
	if err != nil {
		os.RemoveAll(spool)
		return httpapi.Summary{}, err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := svc.Close(cctx); err != nil {
			log.Error("the archive was not flushed; its spool is kept", "spool", spool, "err", err)
			return
		}
		os.RemoveAll(spool)
	}()
	search, err := req.Search()
	if err != nil {
		return httpapi.Summary{}, err
	}
	n := 0
	res, err := svc.Engine.Stream(ctx, search, func(hs []hotelrates.HotelResult) error {
		for _, h := range hs {
			n++
			onHotel(httpapi.HotelFromResult(h, "hotel"))
		}
		return nil
	})
	if err != nil {
		return httpapi.Summary{}, err
	}
	return httpapi.SummaryFromResult(res, n), nil
}

func parseHotels(spec string) ([]string, error) {
	var ids []string
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		from, to, isRange := strings.Cut(part, "-")
		if !isRange {
			ids = append(ids, part)
			continue
		}
		a, ok1 := sandbox.HotelNumber(from)
		b, ok2 := sandbox.HotelNumber(to)
		if !ok1 || !ok2 || a > b {
			return nil, fmt.Errorf("--hotels: %q is not a range like H00001-H00200", part)
		}
		ids = append(ids, sandbox.HotelIDs(a, b)...)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("--hotels names no hotel")
	}
	return ids, nil
}

func printTable(w io.Writer, hotels []httpapi.Hotel, sum httpapi.Summary) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HOTEL\tBEST OFFER\tROOM / BOARD\tVENDOR\tOFFERS")
	for _, h := range hotels {
		if len(h.Offers) == 0 {
			fmt.Fprintf(tw, "%s\t-\t-\t-\t0\n", h.HotelID)
			continue
		}
		best := h.Offers[0] // offers come cheapest first
		fmt.Fprintf(tw, "%s\t%s %s\t%s / %s\t%s\t%d\n", h.HotelID, best.Total.Amount(), best.Total.Currency, best.Room, best.Board, best.Vendor, len(h.Offers))
	}
	tw.Flush()
	fmt.Fprintf(w, "\nsearch %s: complete=%v, %d hotels, %d ms\n", sum.SearchID, sum.Complete, sum.Hotels, sum.ElapsedMS)
	tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VENDOR\tSTATUS\tANSWERED\tCALLS\tERRORS\tMS\tERROR")
	for _, v := range sum.Vendors {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%s\n", v.Vendor, v.Status, strconv.Itoa(v.HotelsAnswered)+"/"+strconv.Itoa(v.HotelsRequested), v.Calls, v.Errors, v.ElapsedMS, v.Error)
	}
	tw.Flush()
}
