package hubspotsync

import (
	"strconv"
	"sync"

	"pretix-hubspot/hubspot"
)

// Products: a line item mapping with a product link (ProductLinkRule) points
// each line item at the HubSpot product of its pretix product and variation,
// found by its SKU in the unique product property ProductKeyProperty and
// created on first use. An event has a handful of products and thousands of
// line items, so the record ids are remembered per portal: a product is
// upserted once per process, and again only when its name changes in pretix.

// productCache remembers product record ids by portal and SKU.
type productCache struct {
	mu sync.Mutex
	m  map[productKey]productEntry
}

type productKey struct {
	hub int64
	sku string
}

type productEntry struct {
	id   string
	name string // what the record was last written with
}

func (pc *productCache) get(k productKey, name string) (string, bool) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	e, ok := pc.m[k]
	return e.id, ok && e.name == name
}

func (pc *productCache) put(k productKey, e productEntry) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if pc.m == nil {
		pc.m = map[productKey]productEntry{}
	}
	pc.m[k] = e
}

func (pc *productCache) forget(k productKey) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	delete(pc.m, k)
}

// linkProducts sets the product link of every line item about to be written,
// upserting the products the cache does not know (100 per call). An order
// whose product cannot be written fails as that write would.
func (r *run) linkProducts() {
	var cs []*contrib
	want := map[string]string{} // SKU → product name
	var order []string
	for _, ob := range r.objects {
		if ob.ot != hubspot.LineItems || ob.archive {
			continue
		}
		for _, c := range ob.contribs {
			if c.sku == "" || c.order.fail != nil {
				continue
			}
			cs = append(cs, c)
			if _, seen := want[c.sku]; !seen {
				order = append(order, c.sku)
			}
			want[c.sku] = c.product
		}
	}
	if len(cs) == 0 {
		return
	}
	hub := r.cl.HubID()
	ids := map[string]string{}
	failed := map[string]*failure{}
	var missing []string
	for _, sku := range order {
		if id, ok := r.p.products.get(productKey{hub, sku}, want[sku]); ok {
			ids[sku] = id
		} else {
			missing = append(missing, sku)
		}
	}
	if len(missing) > 0 {
		r.upsertProducts(missing, want, ids, failed)
	}
	for _, c := range cs {
		if f := failed[c.sku]; f != nil {
			c.order.failWith(f)
			continue
		}
		c.linkProduct(ids[c.sku])
	}
}

// linkProduct sets the line item's product link to the product's record id.
func (c *contrib) linkProduct(id string) {
	for i := range c.writes {
		if c.writes[i].link {
			c.writes[i].value = id
		}
	}
}

func (r *run) upsertProducts(skus []string, names map[string]string, ids map[string]string, failed map[string]*failure) {
	hub := r.cl.HubID()
	failAll := func(list []string, f *failure) {
		for _, sku := range list {
			failed[sku] = f
		}
	}
	if _, err := r.cl.EnsureUniqueProperty(r.ctx, hubspot.Products, ProductKeyProperty, "pretix product SKU",
		"The pretix event, product and variation of this product; set by pretix-hubspot, which finds the product by it."); err != nil {
		f := failureOf(err, "")
		f.msg = "The HubSpot products of the line items could not be prepared: " + f.msg
		failAll(skus, f)
		return
	}
	for start := 0; start < len(skus); start += hubspot.MaxBatchInputs {
		chunk := skus[start:min(start+hubspot.MaxBatchInputs, len(skus))]
		in := make([]hubspot.UpsertInput, len(chunk))
		for i, sku := range chunk {
			in[i] = hubspot.UpsertInput{TraceID: r.trace + "p" + strconv.Itoa(start+i), ID: sku,
				Properties: map[string]string{"name": names[sku], "hs_sku": sku}}
		}
		res, err := r.cl.BatchUpsert(r.ctx, hubspot.Products, ProductKeyProperty, in)
		if err != nil {
			failAll(chunk, failureOf(err, ""))
			continue
		}
		for i, sku := range chunk {
			key := in[i].TraceID
			if rec, ok := res.Results[key]; ok {
				ids[sku] = rec.ID
				r.p.products.put(productKey{hub, sku}, productEntry{id: rec.ID, name: names[sku]})
			} else if he := res.Errors[key]; he != nil {
				failed[sku] = failureOf(he, "product “"+sku+"”")
			} else {
				failed[sku] = &failure{mode: modeTemporary, msg: "HubSpot answered the product upsert without the product “" + sku + "”. The sync is retried automatically."}
			}
		}
	}
}

// forgetProducts drops the cached products of line items that failed: one
// deleted in HubSpot is then looked up (and re-created) by the retry.
func (r *run) forgetProducts() {
	hub := r.cl.HubID()
	for _, ob := range r.objects {
		if ob.ot != hubspot.LineItems || ob.fail == nil {
			continue
		}
		for _, c := range ob.contribs {
			if c.sku != "" {
				r.p.products.forget(productKey{hub, c.sku})
			}
		}
	}
}
