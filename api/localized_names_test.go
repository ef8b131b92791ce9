package api

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"pretix-hubspot/models"
)

// TestNamesInDisplayLanguage: an event whose default language is German,
// with a bilingual and a German-only question and product. The English
// screens show English where pretix has it and fall back to German where it
// has nothing else — the same on the order page, in the field picker and in
// the mapping preview.
func TestNamesInDisplayLanguage(t *testing.T) {
	e := mapSetup(t)
	var evID int64
	e.db.Model(&models.PretixEvent{}).Where("slug = ?", "devcon25").Pluck("id", &evID)
	var questions struct {
		Results []map[string]any `json:"results"`
	}
	if err := json.Unmarshal([]byte(mapFixture(t, "devcon25", "questions.json")), &questions); err != nil {
		t.Fatal(err)
	}
	for _, q := range questions.Results {
		switch q["identifier"] {
		case "JOBTITLE":
			q["question"] = map[string]string{"de": "Berufsbezeichnung"}
		case "BIO":
			q["question"] = map[string]string{"de": "Kurzbiografie", "en": "Short bio"}
		}
	}
	qs, _ := json.Marshal(questions)
	if err := e.db.Model(&models.PretixEvent{}).Where("id = ?", evID).Updates(map[string]any{
		"questions_json": string(qs), "locales_json": `["de","en"]`,
		"settings_json": `{"locales": ["de", "en"], "locale": "de", "name_scheme": "given_family"}`,
	}).Error; err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if err := e.db.Create(&models.PretixOrder{OrganizerID: 7, EventID: evID, EventSlug: "devcon25", Code: "Q7XK9", Status: "p",
		Email: "zoe@example.org", SearchText: "q7xk9", Datetime: now, LastModified: now,
		RawJSON: mapFixture(t, "orders", "Q7XK9_paid_addon.json"), FirstSeenAt: now, UpdatedAt: now}).Error; err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"DIET": "Dietary requirements", "BIO": "Short bio", "JOBTITLE": "Berufsbezeichnung"}

	t.Run("order page", func(t *testing.T) {
		d := data(t, e.do("GET", mapBase+"/orders/Q7XK9", nil, nil), 200)
		pos := d["positions"].([]any)[0].(map[string]any)
		if pos["item_name"] != "Conference ticket" || pos["variation_name"] == "Normal" {
			t.Errorf("product %v – %v, want the English names", pos["item_name"], pos["variation_name"])
		}
		seen := map[string]string{}
		for _, a := range pos["answers"].([]any) {
			a := a.(map[string]any)
			seen[a["identifier"].(string)] = a["question"].(string)
		}
		for id, label := range want {
			if seen[id] != label {
				t.Errorf("question %s shown as %q, want %q", id, seen[id], label)
			}
		}
	})

	t.Run("field picker", func(t *testing.T) {
		cat := data(t, e.do("GET", mapBase+"/catalogue?object_type=OrderPosition", nil, nil), 200)
		seen := map[string]string{}
		var veg string
		for _, g := range cat["groups"].([]any) {
			for _, f := range g.(map[string]any)["fields"].([]any) {
				f := f.(map[string]any)
				seen[f["key"].(string)] = f["label"].(string)
				if f["key"] == "question_DIET" {
					for _, o := range f["options"].([]any) {
						if o := o.(map[string]any); o["value"] == "VEG" {
							veg = o["label"].(string)
						}
					}
				}
			}
		}
		for id, label := range want {
			if got := seen["question_"+id]; got != "Question: "+label {
				t.Errorf("picker shows question_%s as %q, want %q", id, got, "Question: "+label)
			}
		}
		if veg != "Vegetarian" {
			t.Errorf("option VEG labelled %q, want Vegetarian", veg)
		}
	})

	t.Run("preview", func(t *testing.T) {
		id := createMapping(t, e, mapBase, "OrderPosition", "contacts")
		data(t, e.do("PUT", fmt.Sprintf("%s/mappings/%d", mapBase, id), map[string]any{"source_type": "OrderPosition",
			"rows": table("attendee_email>email", "question_JOBTITLE>jobtitle:overwrite", "question_BIO>city:overwrite")}, nil), 200)
		p := data(t, e.do("POST", fmt.Sprintf("%s/mappings/%d/preview", mapBase, id), map[string]string{"order_code": "Q7XK9"}, nil), 200)
		seen := map[string]string{}
		for _, r := range p["objects"].([]any)[0].(map[string]any)["rows"].([]any) {
			r := r.(map[string]any)
			seen[r["pretix_field"].(string)] = r["pretix_label"].(string)
		}
		for _, id := range []string{"JOBTITLE", "BIO"} {
			if got := seen["question_"+id]; got != "Question: "+want[id] {
				t.Errorf("preview labels question_%s %q, want %q", id, got, "Question: "+want[id])
			}
		}
	})
}
