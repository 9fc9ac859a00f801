package hotelbeds

import (
	"fmt"
	"slices"

	"hotelrates"
)

// A stay's guests on the wire. The API prices occupancies: each is a
// number of identical rooms with the adults and children of one room. A
// hotelrates.Stay only says how many adults, children and rooms travel, so
// the client spreads them over the rooms, and the server reads them back:
//
//   - adults as evenly as possible, the first rooms taking one more:
//     5 adults in 3 rooms are rooms of 2, 2 and 1;
//   - children in turn, in the order asked: child i goes to room i mod
//     rooms, so ages 9, 4, 12 in 2 rooms are rooms with 9 and 12, and 4;
//   - consecutive rooms alike (the same adults and child ages) are one
//     occupancy: 4 adults in 2 rooms are {"rooms":2,"adults":2,"children":0}.
//
// A child's age is a pax {"type":"CH","age":9}; in an occupancy of several
// rooms each child pax also names its room, "roomId" 1 to rooms. Reading
// the rooms back in order and taking their children in turn gives the
// ages in the order asked, so the server prices exactly the stay asked.

// room is one room's guests.
type room struct {
	adults int
	ages   []int
}

// occupancies spreads the stay's guests over its rooms. The stay must have
// rooms >= 1 and adults >= rooms (see checkStay).
func occupancies(stay hotelrates.Stay) []occupancy {
	n := stay.Rooms
	rooms := make([]room, n)
	for i := range rooms {
		rooms[i].adults = stay.Adults / n
		if i < stay.Adults%n {
			rooms[i].adults++
		}
	}
	for i, age := range stay.Children {
		rooms[i%n].ages = append(rooms[i%n].ages, age)
	}
	var out []occupancy
	for i := 0; i < n; {
		j := i + 1
		for j < n && rooms[j].adults == rooms[i].adults && slices.Equal(rooms[j].ages, rooms[i].ages) {
			j++
		}
		o := occupancy{Rooms: j - i, Adults: rooms[i].adults, Children: len(rooms[i].ages)}
		for r := 1; r <= o.Rooms; r++ {
			for _, age := range rooms[i].ages {
				p := pax{Type: PaxChild, Age: new(age)}
				if o.Rooms > 1 {
					p.RoomID = new(r)
				}
				o.Paxes = append(o.Paxes, p)
			}
		}
		out = append(out, o)
		i = j
	}
	return out
}

// checkStay reports why the client cannot ask for stay, if it cannot.
func checkStay(stay hotelrates.Stay) error {
	switch {
	case stay.Rooms < 1:
		return fmt.Errorf("a stay needs at least one room, not %d", stay.Rooms)
	case stay.Adults < stay.Rooms:
		return fmt.Errorf("every room needs an adult: %d adults for %d rooms", stay.Adults, stay.Rooms)
	}
	for i, age := range stay.Children {
		if age < 0 || age > hotelrates.MaxChildAge {
			return fmt.Errorf("children[%d]: age %d is not 0 to %d", i, age, hotelrates.MaxChildAge)
		}
	}
	return nil
}

// Occupancy limits the server enforces.
const (
	// MaxRooms is the most rooms one request may ask for, over all its
	// occupancies.
	MaxRooms = 9
	// MaxAdultsPerRoom and MaxChildrenPerRoom bound one occupancy's room.
	MaxAdultsPerRoom   = 9
	MaxChildrenPerRoom = 6
)

// guests reads occupancies back: the total adults and rooms, and the child
// ages in the order the client spread them (see occupancies). The error
// names the offending field.
func guests(occs []occupancy) (adults, rooms int, ages []int, err error) {
	if len(occs) == 0 {
		return 0, 0, nil, fmt.Errorf("occupancies must hold at least one occupancy")
	}
	var all []room
	for i, o := range occs {
		f := fmt.Sprintf("occupancies[%d]", i)
		switch {
		case o.Rooms < 1:
			return 0, 0, nil, fmt.Errorf("%s.rooms must be at least 1", f)
		case o.Rooms > MaxRooms || len(all)+o.Rooms > MaxRooms:
			return 0, 0, nil, fmt.Errorf("%s: more than %d rooms in one request", f, MaxRooms)
		case o.Adults < 1 || o.Adults > MaxAdultsPerRoom:
			return 0, 0, nil, fmt.Errorf("%s.adults must be 1 to %d (per room)", f, MaxAdultsPerRoom)
		case o.Children < 0 || o.Children > MaxChildrenPerRoom:
			return 0, 0, nil, fmt.Errorf("%s.children must be 0 to %d (per room)", f, MaxChildrenPerRoom)
		}
		rs, err := roomsOf(f, o)
		if err != nil {
			return 0, 0, nil, err
		}
		all = append(all, rs...)
		adults += o.Rooms * o.Adults
	}
	for j := 0; ; j++ {
		more := false
		for _, r := range all {
			if j < len(r.ages) {
				ages = append(ages, r.ages[j])
				more = true
			}
		}
		if !more {
			break
		}
	}
	return adults, len(all), ages, nil
}

// roomsOf expands one occupancy into its rooms, giving each the child ages
// of its paxes: paxes that name their room go to it; without roomId, an
// occupancy's child paxes are either one room's ages (the same in every
// room) or every room's, room after room.
func roomsOf(f string, o occupancy) ([]room, error) {
	rooms := make([]room, o.Rooms)
	for i := range rooms {
		rooms[i].adults = o.Adults
	}
	var loose []int // child ages without roomId
	withID := 0
	for k, p := range o.Paxes {
		pf := fmt.Sprintf("%s.paxes[%d]", f, k)
		switch p.Type {
		case PaxAdult:
			if p.Age != nil && (*p.Age < 0 || *p.Age > 120) {
				return nil, fmt.Errorf("%s.age must be 0 to 120", pf)
			}
			continue
		case PaxChild:
		default:
			return nil, fmt.Errorf("%s.type must be AD or CH", pf)
		}
		if p.Age == nil || *p.Age < 0 || *p.Age > hotelrates.MaxChildAge {
			return nil, fmt.Errorf("%s.age is required for a child and must be 0 to %d", pf, hotelrates.MaxChildAge)
		}
		if p.RoomID == nil {
			loose = append(loose, *p.Age)
			continue
		}
		if *p.RoomID < 1 || *p.RoomID > o.Rooms {
			return nil, fmt.Errorf("%s.roomId must be 1 to %d", pf, o.Rooms)
		}
		withID++
		rooms[*p.RoomID-1].ages = append(rooms[*p.RoomID-1].ages, *p.Age)
	}
	switch {
	case withID > 0 && len(loose) > 0:
		return nil, fmt.Errorf("%s.paxes: either every child pax names its roomId or none does", f)
	case withID > 0:
	case len(loose) == o.Children:
		for i := range rooms {
			rooms[i].ages = slices.Clone(loose)
		}
	case len(loose) == o.Children*o.Rooms:
		for i := range rooms {
			rooms[i].ages = loose[i*o.Children : (i+1)*o.Children]
		}
	case len(loose) > 0:
		return nil, fmt.Errorf("%s.paxes: %d child ages for %d rooms of %d children", f, len(loose), o.Rooms, o.Children)
	}
	for i, r := range rooms {
		if len(r.ages) != o.Children {
			return nil, fmt.Errorf("%s: room %d has %d child paxes, children is %d", f, i+1, len(r.ages), o.Children)
		}
	}
	return rooms, nil
}
