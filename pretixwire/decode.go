package pretixwire

import (
	"bytes"
	"encoding/json"
	"fmt"

	"pretix-hubspot/apperr"
)

// Malformed is the error for pretix JSON that does not have the documented
// shape; what names the document ("order", "questions", …).
func Malformed(what string, err error) *apperr.Error {
	return apperr.Invalid("pretix_json_malformed",
		fmt.Sprintf("The pretix %s could not be read. Refresh the data from pretix; if this keeps happening, the pretix server sent an unexpected format.", what)).Wrap(err)
}

// DecodeList decodes a list of pretix objects given as a JSON array or as a
// pretix result page ({"results": [...]}); empty input or null is no list.
// what names the list in the error.
func DecodeList[T any](raw []byte, what string) ([]T, error) {
	if IsEmpty(raw) {
		return nil, nil
	}
	t := bytes.TrimSpace(raw)
	if t[0] == '{' {
		var page struct {
			Results []T `json:"results"`
		}
		if err := json.Unmarshal(t, &page); err != nil {
			return nil, Malformed(what, err)
		}
		return page.Results, nil
	}
	var out []T
	if err := json.Unmarshal(t, &out); err != nil {
		return nil, Malformed(what, err)
	}
	return out, nil
}

// DecodeObject decodes one pretix object into out; empty input or null
// (a stored column not filled yet) leaves out as it is.
func DecodeObject(raw []byte, what string, out any) error {
	if IsEmpty(raw) {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return Malformed(what, err)
	}
	return nil
}

// IsEmpty reports whether raw holds no document: nothing, spaces or null.
func IsEmpty(raw []byte) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || string(t) == "null"
}
