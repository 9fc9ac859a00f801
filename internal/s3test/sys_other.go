//go:build !unix

package s3test

// lockFile is a no-op where flock is unavailable; the atomic rename in
// findOrBuild still keeps concurrent builds from clashing (they only
// duplicate work).
func lockFile(string) (func(), error) { return func() {}, nil }
