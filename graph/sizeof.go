package graph

import "reflect"

// sizeOf estimates the bytes a value holds: its own size and that of the
// strings and slices it refers to, however deeply nested in structs and
// slices. Pointers, maps, channels and functions count as their header
// only: the values cached (read-model pages and their keys) hold none of
// their own, and the *time.Location of a time.Time is shared by every
// value. Reflection keeps this right as fields are added to the pages; it
// runs only when a page read from the read model is kept, which costs far
// more.
func sizeOf(v any) int64 {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() {
		return 0
	}
	return int64(rv.Type().Size()) + referred(rv)
}

// referred is what v refers to beyond its own size.
func referred(v reflect.Value) int64 {
	switch v.Kind() {
	case reflect.String:
		return int64(v.Len())
	case reflect.Slice:
		n := int64(v.Cap()) * int64(v.Type().Elem().Size())
		if holdsReferences(v.Type().Elem()) {
			for i := range v.Len() {
				n += referred(v.Index(i))
			}
		}
		return n
	case reflect.Array:
		var n int64
		if holdsReferences(v.Type().Elem()) {
			for i := range v.Len() {
				n += referred(v.Index(i))
			}
		}
		return n
	case reflect.Struct:
		var n int64
		for i := range v.NumField() {
			n += referred(v.Field(i))
		}
		return n
	}
	return 0
}

// holdsReferences reports whether values of t may refer to strings or
// slices that referred counts.
func holdsReferences(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.String, reflect.Slice:
		return true
	case reflect.Array:
		return holdsReferences(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if holdsReferences(t.Field(i).Type) {
				return true
			}
		}
	}
	return false
}
