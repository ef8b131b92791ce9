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
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || string(t) == "null" {
		return nil, nil
	}
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
