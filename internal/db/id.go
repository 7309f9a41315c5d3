package db

import "github.com/google/uuid"

// NewID returns a time-ordered UUIDv7: generated in Go so that inserts need
// no database sequence (distributed SQL lacks cheap ones) and indexes stay
// append-mostly.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }
