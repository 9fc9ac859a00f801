package rapid

import (
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"hotelrates"
	"hotelrates/sandbox"
)

// availRequest is a checked availability request.
type availRequest struct {
	ids           []string // distinct property ids, in the order asked
	occupancies   []string // as sent, one per room
	stay          hotelrates.Stay
	ratePlanCount int
	test          string // the Test header, "" when absent
}

// maxNestedErrors bounds the nested errors of a 400 answer.
const maxNestedErrors = 20

// The values some parameters take.
var (
	salesChannels     = []string{"website", "agent_tool", "mobile_app", "mobile_web", "meta", "cache"}
	salesEnvironments = []string{"hotel_package", "hotel_only", "loyalty"}
	optionalEnums     = map[string][]string{
		"filter":         {"refundable", "expedia_collect", "property_collect", "loyalty"},
		"include":        {"unavailable_reason", "sale_scenario.mobile_promotion", "rooms.rates.marketing_fee_incentives", "rooms.rates.current_refundability"},
		"exclusion":      {"refundable_damage_deposit", "card_on_file"},
		"rate_option":    {"member", "net_rates", "cross_sell"},
		"travel_purpose": {"leisure", "business"},
	}
	optionalNames = []string{"exclusion", "filter", "include", "rate_option", "travel_purpose"} // sorted, for a stable order of errors
	testValues    = []string{TestStandard, TestServiceUnavailable, TestUnknownInternalError, TestNoAvailability, TestForbidden}
)

// parse checks the query (qerr: it did not parse) and the Test header of an
// availability request. It returns every problem found (up to
// maxNestedErrors), each naming its parameter. Parameters the API has but
// the sandbox does not act on (amenity_category, billing_terms...) and
// parameters it does not know are ignored.
func (s *server) parse(q url.Values, qerr error, test []string) (availRequest, []errorDetail) {
	var errs []errorDetail
	fail := func(param, typ, format string, args ...any) {
		if len(errs) < maxNestedErrors {
			v := strings.Join(q[param], ",")
			errs = append(errs, errorDetail{Type: param + "." + typ, Message: fmt.Sprintf(format, args...),
				Fields: []errorField{{Name: param, Type: "querystring", Value: fieldValue(clip(v, 100))}}})
		}
	}
	if qerr != nil {
		return availRequest{}, []errorDetail{{Type: "query.invalid_format", Message: "The query string is malformed."}}
	}
	var req availRequest
	// one returns the single value of a required parameter, or "" after
	// recording why there is none.
	one := func(param string) string {
		switch v := q[param]; {
		case len(v) == 0 || v[0] == "":
			fail(param, "required", "%s is required.", param)
		case len(v) > 1:
			fail(param, "invalid_multiple", "%s must be given once.", param)
		default:
			return v[0]
		}
		return ""
	}

	switch ids := q["property_id"]; {
	case len(ids) == 0:
		fail("property_id", "required", "property_id is required: give 1 to %d.", s.maxBatch)
	case len(ids) > s.maxBatch:
		fail("property_id", "invalid_above_maximum", "Number of property_id values must not be more than %d.", s.maxBatch)
	default:
		for _, id := range ids {
			if id == "" || len(id) > 19 || strings.TrimLeft(id, "0123456789") != "" {
				fail("property_id", "invalid_format", "A property_id is 1 to 19 digits.")
				break
			}
		}
		req.ids = hotelrates.UniqueHotelIDs(ids)
	}

	in, inOK := parseDateParam(one("checkin"), "checkin", fail)
	out, outOK := parseDateParam(one("checkout"), "checkout", fail)
	if inOK && outOK {
		switch nights := in.DaysUntil(out); {
		case nights < 1:
			fail("checkout", "invalid_checkout_before_checkin", "Checkout must be after checkin.")
		case nights > MaxNights:
			fail("checkout", "invalid_length_of_stay_too_long", "Invalid date range. Checkin and checkout dates cannot differ by more than %d days.", MaxNights)
		}
	}
	req.stay.CheckIn, req.stay.CheckOut = in, out

	switch c := one("currency"); {
	case c == "":
	case !upperLetters(c, 3):
		fail("currency", "invalid_format", "currency must be an ISO 4217 code such as USD.")
	case !slices.Contains(sandbox.Currencies, c):
		fail("currency", "not_supported", "The sandbox prices in %s only.", strings.Join(sandbox.Currencies, ", "))
	default:
		req.stay.Currency = c
	}
	if c := one("country_code"); c != "" && !upperLetters(c, 2) {
		fail("country_code", "invalid_format", "country_code must be an ISO 3166-1 alpha-2 code such as US.")
	}
	if l := one("language"); l != "" && !(len(l) == 5 && l[2] == '-' && lowerLetters(l[:2]) && upperLetters(l[3:], 2)) {
		fail("language", "invalid_format", "language must be a language and a country code such as en-US.")
	}

	switch occ := q["occupancy"]; {
	case len(occ) == 0:
		fail("occupancy", "required", "occupancy is required: one per room.")
	case len(occ) > MaxRooms:
		fail("number_of_occupancies", "invalid_above_maximum", "Number of occupancies must be less than %d.", MaxRooms+1)
	default:
		req.occupancies = occ
		req.stay.Rooms = len(occ)
		for _, o := range occ {
			adults, ages, err := parseOccupancy(o)
			if err != nil {
				fail("occupancy", "invalid_format", "Invalid occupancy %q: %v; the format is adults[-age,age...].", clip(o, 40), err)
				break
			}
			req.stay.Adults += adults
			req.stay.Children = append(req.stay.Children, ages...)
		}
	}

	if v := one("rate_plan_count"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f != math.Trunc(f) || f < 1 || f > MaxRatePlanCount {
			fail("rate_plan_count", "invalid", "rate_plan_count must be a whole number from 1 to %d.", MaxRatePlanCount)
		} else {
			req.ratePlanCount = int(f)
		}
	}
	if v := one("sales_channel"); v != "" && !slices.Contains(salesChannels, v) {
		fail("sales_channel", "invalid", "sales_channel must be one of %s.", strings.Join(salesChannels, ", "))
	}
	if v := one("sales_environment"); v != "" && !slices.Contains(salesEnvironments, v) {
		fail("sales_environment", "invalid", "sales_environment must be one of %s.", strings.Join(salesEnvironments, ", "))
	}
	for _, param := range optionalNames {
		allowed := optionalEnums[param]
		vals := q[param]
		if param == "travel_purpose" && len(vals) > 1 {
			fail(param, "invalid_multiple", "%s must be given once.", param)
			continue
		}
		for _, v := range vals {
			if !slices.Contains(allowed, v) {
				fail(param, "not_supported", "%s value not supported. Supported %s values are: [%s]", param, param, strings.Join(allowed, ", "))
				break
			}
		}
	}

	switch {
	case len(test) > 1:
		errs = append(errs, testError("The Test header must be given once.", test))
	case len(test) == 1 && !slices.Contains(testValues, test[0]):
		errs = append(errs, testError("Test header value not supported. Supported values are: ["+strings.Join(testValues, ", ")+"]", test))
	case len(test) == 1:
		req.test = test[0]
	}
	if len(errs) > maxNestedErrors {
		errs = errs[:maxNestedErrors]
	}
	return req, errs
}

func testError(msg string, test []string) errorDetail {
	return errorDetail{Type: "test.not_supported", Message: msg,
		Fields: []errorField{{Name: HeaderTest, Type: "header", Value: fieldValue(clip(strings.Join(test, ","), 100))}}}
}

// parseDateParam parses a date parameter; false (after recording why) when it is not
// YYYY-MM-DD. An empty v was already recorded as missing.
func parseDateParam(v, param string, fail func(param, typ, format string, args ...any)) (hotelrates.Date, bool) {
	if v == "" {
		return hotelrates.Date{}, false
	}
	d, err := hotelrates.ParseDate(v)
	if err != nil {
		fail(param, "invalid_date_format", "Invalid %s format. It must be formatted in ISO 8601 (YYYY-mm-dd).", param)
		return hotelrates.Date{}, false
	}
	return d, true
}

func upperLetters(s string, n int) bool {
	return len(s) == n && strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == ""
}

func lowerLetters(s string) bool {
	return s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyz") == ""
}
