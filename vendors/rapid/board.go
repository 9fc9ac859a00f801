package rapid

import "strings"

// Rapid has no board (meal plan) field: a rate's meals are among its
// amenities, by name. boardOf reads the board from the amenity names (in
// English, as the client asks with language en-US), the most generous one
// found winning:
//
//	"all inclusive" / "all-inclusive"  AI
//	"full board"                       FB
//	"half board"                       HB
//	"breakfast"                        BB
//	none of these (or no amenities)    RO
//
// The sandbox writes one such amenity per rate (boardAmenity), so its
// boards read back exactly.
func boardOf(amenities map[string]wireAmenity) string {
	best := 0
	for _, a := range amenities {
		name := strings.ToLower(a.Name)
		for rank := len(boardWords) - 1; rank > best; rank-- {
			if containsAny(name, boardWords[rank]) {
				best = rank
				break
			}
		}
	}
	return boardCodes[best]
}

// boardCodes and boardWords are by rank, least generous first.
var (
	boardCodes = [...]string{"RO", "BB", "HB", "FB", "AI"}
	boardWords = [...][]string{
		nil,
		{"breakfast"},
		{"half board"},
		{"full board"},
		{"all inclusive", "all-inclusive"},
	}
)

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// boardAmenity is the amenity the sandbox lists for a board, and false for
// room only (no meal amenity). Breakfast has the spec's example id for
// "Free breakfast"; the others have ids of the sandbox's own.
func boardAmenity(board string) (amenity, bool) {
	switch board {
	case "BB":
		return amenity{ID: "2098", Name: "Free breakfast"}, true
	case "HB":
		return amenity{ID: "sandbox-half-board", Name: "Half board"}, true
	case "FB":
		return amenity{ID: "sandbox-full-board", Name: "Full board"}, true
	case "AI":
		return amenity{ID: "sandbox-all-inclusive", Name: "All inclusive"}, true
	}
	return amenity{}, false
}

// wifiAmenity is a non-meal amenity the sandbox adds to some rates (the
// spec's example one), which boardOf must ignore.
var wifiAmenity = amenity{ID: "1234", Name: "Free Wireless Internet"}
