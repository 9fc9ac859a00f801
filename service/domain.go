package service

import (
	"fmt"
	"os"

	"hotelrates"
	"hotelrates/config"
	"hotelrates/sandbox"
)

// mapping returns the hotel mapping: the config's file, or else the
// sandbox's own codes for the vendors the embedded sandbox serves (by
// their configured names), or none.
func (s *Service) mapping(cfg config.Config) (hotelrates.HotelMapping, error) {
	if cfg.Mapping != "" {
		f, err := os.Open(cfg.Mapping)
		if err != nil {
			return nil, fmt.Errorf("mapping: %w", err)
		}
		defer f.Close()
		m, err := hotelrates.ReadMapping(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", cfg.Mapping, err)
		}
		s.log.Info("hotel mapping loaded", "file", cfg.Mapping, "pairs", m.Len())
		return m, nil
	}
	if s.Sim == nil {
		return nil, nil
	}
	m := sandbox.Mapping{Protocols: map[string]string{}}
	for _, v := range cfg.Vendors {
		if v.BaseURL == "" {
			m.Protocols[v.Name] = v.Protocol
		}
	}
	return m, nil
}

// rates returns the exchange rates: the config's file, or else the
// sandbox's fixed table while the sandbox is enabled, or none.
func (s *Service) rates(cfg config.Config) (*hotelrates.ExchangeRates, error) {
	if cfg.Currency.Rates != "" {
		f, err := os.Open(cfg.Currency.Rates)
		if err != nil {
			return nil, fmt.Errorf("currency.rates: %w", err)
		}
		defer f.Close()
		x, err := hotelrates.ReadECBRates(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", cfg.Currency.Rates, err)
		}
		return x, nil
	}
	if s.Sim != nil {
		return sandbox.ExchangeRates(), nil
	}
	return nil, nil
}
