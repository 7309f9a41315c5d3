package audit

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/emmansun/gmsm/sm2"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/tongban/tongban/internal/db"
)

// Checkpoints are tree heads in the C2SP checkpoint form — the origin, the
// tree size and the base64 root hash, a line each — signed as a note
// (golang.org/x/mod/sumdb/note) by an Ed25519 key and an SM2 key.

// FormatCheckpoint is the text of a tree head.
func FormatCheckpoint(origin string, size int64, root tlog.Hash) string {
	return fmt.Sprintf("%s\n%d\n%s\n", origin, size, base64.StdEncoding.EncodeToString(root[:]))
}

// ParseCheckpoint reads a tree head's text.
func ParseCheckpoint(text string) (origin string, size int64, root tlog.Hash, err error) {
	lines := strings.Split(text, "\n")
	if len(lines) < 4 || lines[len(lines)-1] != "" {
		return "", 0, root, errors.New("audit: malformed checkpoint")
	}
	size, err = strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 {
		return "", 0, root, errors.New("audit: malformed checkpoint size")
	}
	h, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(h) != tlog.HashSize {
		return "", 0, root, errors.New("audit: malformed checkpoint hash")
	}
	copy(root[:], h)
	return lines[0], size, root, nil
}

// AlgSM2 is the note signature algorithm byte this log uses for SM2 with
// SM3 (GB/T 32918.2, the default distinguishing ID 1234567812345678); the
// note package defines 1 for Ed25519 and leaves others to applications.
const AlgSM2 = 0x53

// keyHash is the note key hash: the first four bytes of
// SHA-256(name || "\n" || alg || public key).
func keyHash(name string, key []byte) uint32 {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte("\n"))
	h.Write(key)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

// sm2Key is the public key as the note key hash covers it: the algorithm
// byte and the uncompressed point (0x04 || X || Y).
func sm2Key(pub *ecdsa.PublicKey) []byte {
	k, err := sm2.PublicKeyToECDH(pub)
	if err != nil { // not a point of the SM2 curve: no signature can verify under it
		return []byte{AlgSM2}
	}
	return append([]byte{AlgSM2}, k.Bytes()...) // k.Bytes() is 0x04 || X || Y
}

// SM2Signer signs notes with an SM2 key.
type SM2Signer struct {
	name string
	key  *sm2.PrivateKey
	hash uint32
}

// NewSM2Signer signs as name with key.
func NewSM2Signer(name string, key *sm2.PrivateKey) *SM2Signer {
	return &SM2Signer{name: name, key: key, hash: keyHash(name, sm2Key(&key.PublicKey))}
}

func (s *SM2Signer) Name() string    { return s.name }
func (s *SM2Signer) KeyHash() uint32 { return s.hash }

// Sign signs msg with SM2 over SM3 (the message is hashed with the ZA of the
// default ID, GB/T 32918.2), DER-encoded.
func (s *SM2Signer) Sign(msg []byte) ([]byte, error) {
	return s.key.Sign(rand.Reader, msg, sm2.DefaultSM2SignerOpts)
}

// Verifier is its verifier.
func (s *SM2Signer) Verifier() *SM2Verifier {
	return &SM2Verifier{name: s.name, pub: &s.key.PublicKey, hash: s.hash}
}

// SM2Verifier verifies SM2 note signatures.
type SM2Verifier struct {
	name string
	pub  *ecdsa.PublicKey
	hash uint32
}

// NewSM2Verifier verifies signatures by name's key pub.
func NewSM2Verifier(name string, pub *ecdsa.PublicKey) *SM2Verifier {
	return &SM2Verifier{name: name, pub: pub, hash: keyHash(name, sm2Key(pub))}
}

func (v *SM2Verifier) Name() string    { return v.name }
func (v *SM2Verifier) KeyHash() uint32 { return v.hash }
func (v *SM2Verifier) Verify(msg, sig []byte) bool {
	return sm2.VerifyASN1WithSM2(v.pub, nil, msg, sig)
}

// Keys are the log's signing keys: Ed25519 as a note key pair (the
// "PRIVATE+KEY+name+hash+key" and "name+hash+key" strings of the note
// package) and SM2.
type Keys struct {
	Origin string
	ed     note.Signer
	edVKey string
	SM2    *SM2Signer
}

// NewKeys reads the keys: the Ed25519 note keys and an SM2 private key.
func NewKeys(origin, edSKey, edVKey string, sm2Key *sm2.PrivateKey) (*Keys, error) {
	s, err := note.NewSigner(edSKey)
	if err != nil {
		return nil, fmt.Errorf("audit: ed25519 key: %w", err)
	}
	if _, err := note.NewVerifier(edVKey); err != nil {
		return nil, fmt.Errorf("audit: ed25519 verifier key: %w", err)
	}
	return &Keys{Origin: origin, ed: s, edVKey: edVKey, SM2: NewSM2Signer(s.Name(), sm2Key)}, nil
}

// GenerateKeys makes new keys named for origin (the demo, tests).
func GenerateKeys(origin string) (*Keys, error) {
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		return nil, err
	}
	k, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	return NewKeys(origin, skey, vkey, k)
}

// VerifierKey is the Ed25519 verifier key, as published.
func (k *Keys) VerifierKey() string { return k.edVKey }

// Verifiers are the verifiers of k's keys.
func (k *Keys) Verifiers() (note.Verifiers, error) {
	v, err := note.NewVerifier(k.edVKey)
	if err != nil {
		return nil, err
	}
	return note.VerifierList(v, k.SM2.Verifier()), nil
}

// Checkpoint signs the current tree head, archives it and returns the note.
// An empty tree has no checkpoint.
func (k *Keys) Checkpoint(ctx context.Context, d *db.DB) ([]byte, int64, error) {
	var msg []byte
	var size int64
	err := d.Update(ctx, func(tx *db.Tx) error {
		var err error
		if size, err = treeSize(tx); err != nil || size == 0 {
			return err
		}
		var last int64
		if err := tx.QueryRow(`SELECT COALESCE(MAX(size), 0) FROM audit_checkpoints`).Scan(&last); err != nil {
			return err
		}
		if last == size {
			return tx.QueryRow(`SELECT note FROM audit_checkpoints WHERE size = $1`, size).Scan(&msg)
		}
		root, err := tlog.TreeHash(size, &hashReader{tx: tx})
		if err != nil {
			return err
		}
		if msg, err = note.Sign(&note.Note{Text: FormatCheckpoint(k.Origin, size, root)}, k.ed, k.SM2); err != nil {
			return err
		}
		// Checkpoints are asked for at once (the public endpoint, the ticker,
		// other replicas): the first stored for a size is the one; a request
		// that lost the race answers it.
		res, err := tx.Exec(`INSERT INTO audit_checkpoints (size, root, note, issued_at) VALUES ($1, $2, $3, $4) ON CONFLICT (size) DO NOTHING`,
			size, base64.StdEncoding.EncodeToString(root[:]), string(msg), tx.Now)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		return tx.QueryRow(`SELECT note FROM audit_checkpoints WHERE size = $1`, size).Scan(&msg)
	})
	return msg, size, err
}
