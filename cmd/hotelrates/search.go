package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
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
	fs := flag.NewFlagSet("search", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", "", "hotelrates server URL (default: run in-process on the embedded default)")
	cfgPath := fs.String("config", "", "config file for the in-process run")
	hotels := fs.String("hotels", "H00001-H00020", "hotel ids: a range H00001-H00200 and/or a comma-separated list")
	checkIn := fs.String("check-in", time.Now().AddDate(0, 1, 0).Format(hotelrates.DateLayout), "check-in date YYYY-MM-DD")
	nights := fs.Int("nights", 2, "nights")
	adults := fs.Int("adults", 2, "adults")
	rooms := fs.Int("rooms", 1, "rooms")
	currency := fs.String("currency", "USD", "currency: USD, EUR or GBP")
	vendors := fs.String("vendors", "", "comma-separated vendor subset (default: all)")
	timeout := fs.Duration("timeout", 0, "search deadline (default: the server's)")
	if err := fs.Parse(args); err != nil {
		return err
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
	if *timeout > 0 {
		ms := timeout.Milliseconds()
		req.TimeoutMS = &ms
	}

	var got []httpapi.Hotel
	progress := func(h httpapi.Hotel) {
		got = append(got, h)
		fmt.Fprintf(stderr, "\r%d/%d hotels", len(got), len(ids))
	}
	var sum httpapi.Summary
	if *server != "" {
		c := &httpapi.Client{BaseURL: *server}
		sum, err = c.Stream(ctx, req, progress)
	} else {
		sum, err = searchInProcess(ctx, *cfgPath, getenv, log, level, req, progress)
	}
	fmt.Fprintln(stderr)
	if err != nil {
		return err
	}
	printTable(stdout, got, sum)
	return nil
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
