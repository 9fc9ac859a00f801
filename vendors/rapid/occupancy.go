package rapid

import (
	"fmt"
	"strconv"
	"strings"

	"hotelrates"
)

// Occupancies returns the occupancy parameters of a stay, one per room, in
// Rapid's format "adults[-age,age...]". The adults are spread as evenly as
// the rooms allow, the first rooms taking one more when they do not divide
// evenly; every child, in the order asked, is in the first room. So 5
// adults with children of 9 and 4 in 2 rooms are "3-9,4" and "2".
//
// It fails for a stay Rapid cannot be asked for: no room or more than
// MaxRooms, fewer adults than rooms, or a child's age outside 0 to
// MaxChildAge.
func Occupancies(stay hotelrates.Stay) ([]string, error) {
	switch r := stay.Rooms; {
	case r < 1 || r > MaxRooms:
		return nil, fmt.Errorf("rapid prices 1 to %d rooms per call, not %d", MaxRooms, r)
	case stay.Adults < r:
		return nil, fmt.Errorf("every room needs an adult: %d adults for %d rooms", stay.Adults, r)
	}
	ages := make([]string, len(stay.Children))
	for i, age := range stay.Children {
		if age < 0 || age > MaxChildAge {
			return nil, fmt.Errorf("child %d: age %d is not between 0 and %d", i, age, MaxChildAge)
		}
		ages[i] = strconv.Itoa(age)
	}
	base, extra := stay.Adults/stay.Rooms, stay.Adults%stay.Rooms
	occ := make([]string, stay.Rooms)
	for i := range occ {
		adults := base
		if i < extra {
			adults++
		}
		occ[i] = strconv.Itoa(adults)
	}
	if len(ages) > 0 {
		occ[0] += "-" + strings.Join(ages, ",")
	}
	return occ, nil
}

// Limits of one occupancy that the sandbox enforces.
const (
	maxAdultsPerRoom   = 9
	maxChildrenPerRoom = 8
)

// parseOccupancy reads one occupancy parameter, "adults[-age,age...]", with
// 1 to maxAdultsPerRoom adults and up to maxChildrenPerRoom children aged 0
// to MaxChildAge, written in plain decimal. It returns why s is not one.
func parseOccupancy(s string) (adults int, ages []int, err error) {
	head, tail, hasChildren := strings.Cut(s, "-")
	adults, ok := smallNumber(head)
	if !ok || adults < 1 || adults > maxAdultsPerRoom {
		return 0, nil, fmt.Errorf("the number of adults must be 1 to %d", maxAdultsPerRoom)
	}
	if !hasChildren {
		return adults, nil, nil
	}
	list := strings.Split(tail, ",")
	if len(list) > maxChildrenPerRoom {
		return 0, nil, fmt.Errorf("a room holds at most %d children", maxChildrenPerRoom)
	}
	ages = make([]int, len(list))
	for i, a := range list {
		age, ok := smallNumber(a)
		if !ok || age > MaxChildAge {
			return 0, nil, fmt.Errorf("a child's age must be 0 to %d", MaxChildAge)
		}
		ages[i] = age
	}
	return adults, ages, nil
}

// smallNumber parses 1 or 2 decimal digits.
func smallNumber(s string) (int, bool) {
	if len(s) < 1 || len(s) > 2 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, _ := strconv.Atoi(s)
	return n, true
}
