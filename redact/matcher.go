package redact

// matcher finds whether a text contains any of a set of words, in one
// pass over the text: an Aho-Corasick automaton compiled to a full
// transition table. It ignores ASCII case and, like normalize, the
// separators '-', '_' and '.' (a separator leaves the state as it is), so
// matching a text equals matching its normalized form.
type matcher struct {
	next   [][256]uint8
	accept []bool
}

// newMatcher compiles words (lowercase ASCII, or any bytes that are not
// letters or separators). It panics past 255 states, which the package's
// fixed word lists never reach.
func newMatcher(words []string) *matcher {
	m := &matcher{next: [][256]uint8{{}}, accept: []bool{false}}
	// The trie; 0 in next means "no edge" until the links fill it in.
	for _, w := range words {
		s := 0
		for i := 0; i < len(w); i++ {
			c := w[i]
			if m.next[s][c] == 0 {
				if len(m.next) == 255 {
					panic("redact: matcher too large")
				}
				m.next = append(m.next, [256]uint8{})
				m.accept = append(m.accept, false)
				m.next[s][c] = uint8(len(m.next) - 1)
			}
			s = int(m.next[s][c])
		}
		m.accept[s] = true
	}
	// Failure links, breadth first, turning the trie into a full table.
	fail := make([]int, len(m.next))
	queue := []int{}
	for c := range 256 {
		if t := int(m.next[0][c]); t != 0 {
			queue = append(queue, t)
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		m.accept[s] = m.accept[s] || m.accept[fail[s]]
		for c := range 256 {
			t := int(m.next[s][c])
			if t != 0 {
				fail[t] = int(m.next[fail[s]][c])
				queue = append(queue, t)
				continue
			}
			m.next[s][c] = m.next[fail[s]][c]
		}
	}
	// Case and separators.
	for s := range m.next {
		for c := 'A'; c <= 'Z'; c++ {
			m.next[s][c] = m.next[s][c+'a'-'A']
		}
		for _, c := range []byte{'-', '_', '.'} {
			m.next[s][c] = uint8(s)
		}
	}
	return m
}

// match reports whether s contains one of the words.
func (m *matcher) match(s string) bool {
	st := uint8(0)
	for i := 0; i < len(s); i++ {
		st = m.next[st][s[i]]
		if m.accept[st] {
			return true
		}
	}
	return false
}
