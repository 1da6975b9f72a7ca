package discovery

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/extguard/extguard/cmd/extguard-agent/internal/cappedfile"
)

const (
	extensionsJSONName = "extensions.json"
	obsoleteName       = ".obsolete"
	packageJSONName    = "package.json"

	// Caps on the editor-owned JSON files read whole; real ones are kilobytes (storage.json can reach
	// megabytes). A larger file is treated as corrupt rather than read into memory.
	maxStateFileBytes    = 64 << 20
	maxPackageJSONBytes  = 16 << 20
	utf8ByteOrderMark    = "\xef\xbb\xbf"
	untargetedPlatform   = "undefined"
	defaultProfileName   = "default"
	profilesSubdir       = "User/profiles"
	globalStorageSubpath = "User/globalStorage/storage.json"
)

// readCapped reads a whole small regular file (see cappedfile.Read) without its UTF-8 byte order mark.
func readCapped(name string, limit int64) ([]byte, error) {
	b, err := cappedfile.Read(name, limit)
	if err != nil {
		return nil, err
	}
	return bytes.TrimPrefix(b, []byte(utf8ByteOrderMark)), nil
}

// decodeStrict decodes exactly one JSON value; trailing bytes mean a torn or concatenated write.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("unexpected data after the JSON value")
	}
	return nil
}

// extensionsJSONEntry is one element of an extensions.json, as the editors of the family write it.
type extensionsJSONEntry struct {
	Identifier struct {
		ID   string `json:"id"`
		UUID string `json:"uuid"`
	} `json:"identifier"`
	Version          string          `json:"version"`
	Location         json.RawMessage `json:"location"`
	RelativeLocation string          `json:"relativeLocation"`
	Metadata         struct {
		TargetPlatform      string `json:"targetPlatform"`
		IsPreReleaseVersion bool   `json:"isPreReleaseVersion"`
	} `json:"metadata"`
}

// listedExtension is an extensions.json entry reduced to what discovery needs.
type listedExtension struct {
	id, version, folder, targetPlatform string
	preRelease                          bool
}

// parseExtensionsJSON reads an extensions.json. Any entry it cannot resolve to an id and a folder
// makes the whole file count as corrupt: the caller then scans the folder instead, which may report
// more than is installed but never hides an extension that is on disk.
func parseExtensionsJSON(b []byte) ([]listedExtension, error) {
	var raw []json.RawMessage
	if err := decodeStrict(b, &raw); err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, errors.New("not a JSON array")
	}
	out := make([]listedExtension, 0, len(raw))
	for i, r := range raw {
		var e extensionsJSONEntry
		if err := json.Unmarshal(r, &e); err != nil {
			return nil, fmt.Errorf("entry %d: %w", i, err)
		}
		id := strings.ToLower(strings.TrimSpace(e.Identifier.ID))
		if id == "" {
			return nil, fmt.Errorf("entry %d: no identifier.id", i)
		}
		folder := ""
		if isPlainFolderName(e.RelativeLocation) {
			folder = e.RelativeLocation
		} else if folder = locationBase(e.Location); !isPlainFolderName(folder) {
			return nil, fmt.Errorf("entry %d (%s): no usable relativeLocation or location", i, id)
		}
		out = append(out, listedExtension{
			id:             id,
			version:        e.Version,
			folder:         folder,
			targetPlatform: normalisePlatform(e.Metadata.TargetPlatform),
			preRelease:     e.Metadata.IsPreReleaseVersion,
		})
	}
	return out, nil
}

// isPlainFolderName accepts one path element only, so an edited extensions.json cannot point the
// agent at folders outside the extensions folder.
func isPlainFolderName(s string) bool {
	return s != "" && s != "." && s != ".." && !strings.ContainsAny(s, `/\:`) && !strings.ContainsRune(s, 0)
}

// locationBase returns the last element of an extensions.json location: a URI object
// ({path, fsPath}, path preferred because it is always slash-separated) or, in old files, a URI string.
func locationBase(raw json.RawMessage) string {
	var loc struct {
		Path   string `json:"path"`
		FsPath string `json:"fsPath"`
	}
	p := ""
	if err := json.Unmarshal(raw, &loc); err == nil {
		p = loc.Path
		if p == "" {
			p = loc.FsPath
		}
	} else {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return ""
		}
		if u, err := url.Parse(s); err == nil && u.Scheme != "" {
			p = u.Path
		} else {
			p = s
		}
	}
	p = strings.TrimRight(p, `/\`)
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		p = p[i+1:]
	}
	return p
}

func normalisePlatform(p string) string {
	if p == untargetedPlatform {
		return ""
	}
	return p
}

// parseObsolete reads .obsolete: folders the editor has uninstalled but not yet deleted.
// Keys are compared case-insensitively (the editor writes lower-cased extension keys).
func parseObsolete(b []byte) (map[string]bool, error) {
	var m map[string]any
	if err := decodeStrict(b, &m); err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(m))
	for k, v := range m {
		if v == true {
			out[strings.ToLower(k)] = true
		}
	}
	return out, nil
}

// packageManifest is the part of an extension's package.json discovery reads.
type packageManifest struct {
	Publisher string `json:"publisher"`
	Name      string `json:"name"`
	Version   string `json:"version"`
	Metadata  struct {
		TargetPlatform      string `json:"targetPlatform"`
		IsPreReleaseVersion bool   `json:"isPreReleaseVersion"`
	} `json:"__metadata"`
}

func (m packageManifest) id() string {
	if m.Publisher == "" || m.Name == "" {
		return ""
	}
	return strings.ToLower(m.Publisher + "." + m.Name)
}

func readPackageManifest(name string) (packageManifest, error) {
	var m packageManifest
	b, err := readCapped(name, maxPackageJSONBytes)
	if err != nil {
		return m, err
	}
	if err := decodeStrict(b, &m); err != nil {
		return m, fmt.Errorf("%s: %w", name, err)
	}
	return m, nil
}

// storedProfile is one element of storage.json's userDataProfiles. location is the profile folder's
// name (current editors) or a serialised URI (older ones).
type storedProfile struct {
	Location json.RawMessage `json:"location"`
	Name     string          `json:"name"`
}

// parseProfileNames maps profile folder ids to their display names.
func parseProfileNames(b []byte) (map[string]string, error) {
	var s struct {
		UserDataProfiles []storedProfile `json:"userDataProfiles"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, err
	}
	out := make(map[string]string, len(s.UserDataProfiles))
	for _, p := range s.UserDataProfiles {
		if id := locationBase(p.Location); id != "" && p.Name != "" {
			out[id] = p.Name
		}
	}
	return out, nil
}
