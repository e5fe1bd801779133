//! `#[derive(Message)]` and `#[derive(Encode)]` for `fireball-record` (use them as
//! `fireball_record::{Message, Encode}`).
//!
//! On a struct with named fields, `Message` implements `fireball_record::message::Encode` and
//! `Message` (the struct is a record, field by field in declaration order) and `Field` (the
//! struct as a nested record in another message). Each field becomes a few lines that call
//! the shared, non-generic `Reader` / `Writer`: no visitor types, no generic code per format.
//! It also describes the type as data (`Message::SHAPE`, `Field::TYPE`: each field's key,
//! type and offset in a flat block) with the loads that build the value from such a block
//! (`from_flat`): what a WebAssembly module decodes with, the hypervisor reading the record
//! for it (`fireball_record::message::flat`).
//!
//! `Encode` implements only `Encode`, for a struct that borrows what it sends; with
//! `#[message(as = Owned)]` it also declares that it encodes as the message `Owned`
//! (`EncodesAs<Owned>`), so it may be sent on `Owned`'s routes.
//!
//! Field attributes, `#[message(...)]`:
//!
//! - `bytes` — a `Vec<u8>` (or a `&[u8]`, for `Encode`) travels as `Bytes` (serde:
//!   `serialize_with = "as_bytes"`);
//! - `default` — a missing field is `Default::default()` (serde: `#[serde(default)]`).
#![forbid(unsafe_code)]

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as Tokens};
use quote::quote;
use syn::{Data, DeriveInput, Fields, parse_macro_input, spanned::Spanned};

/// Derive `Encode`, `Message` and `Field` for a struct with named fields (see the crate
/// docs).
#[proc_macro_derive(Message, attributes(message))]
pub fn derive_message(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand(&input, true)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Derive `Encode` (and, with `#[message(as = Owned)]`, `EncodesAs<Owned>`) for a struct
/// with named fields that is only ever sent (see the crate docs).
#[proc_macro_derive(Encode, attributes(message))]
pub fn derive_encode(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand(&input, false)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// The struct's `#[message(as = Owned)]`, if any.
fn encodes_as(input: &DeriveInput) -> syn::Result<Option<syn::Path>> {
    let mut owned = None;
    for attr in &input.attrs {
        if !attr.path().is_ident("message") {
            continue;
        }
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("as") {
                owned = Some(meta.value()?.parse::<syn::Path>()?);
                Ok(())
            } else {
                Err(meta.error("expected `as = Message`"))
            }
        })?;
    }
    Ok(owned)
}

struct Field {
    name: syn::Ident,
    ty: syn::Type,
    bytes: bool,
    default: bool,
}

fn expand(input: &DeriveInput, message: bool) -> syn::Result<Tokens> {
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new(
            input.span(),
            "`Message` derives for structs only (implement `Field` by hand for an enum)",
        ));
    };
    let fields = match &data.fields {
        Fields::Named(named) => named
            .named
            .iter()
            .map(field)
            .collect::<syn::Result<Vec<_>>>()?,
        Fields::Unit => Vec::new(),
        Fields::Unnamed(_) => {
            return Err(syn::Error::new(
                data.fields.span(),
                "`Message` needs named fields: a record's keys are the field names",
            ));
        }
    };
    let name = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let m = quote!(::fireball_record::message);
    let count = fields.len();

    let writes = fields.iter().map(|f| {
        let ident = &f.name;
        let key = ident.to_string();
        let put = if f.bytes {
            quote!(#m::bytes::put(&self.#ident, out);)
        } else {
            quote!(#m::Field::put(&self.#ident, out);)
        };
        quote! {
            out.key(#key);
            #put
        }
    });
    let slots = fields.iter().enumerate().map(|(i, f)| {
        let slot = slot(i);
        let ty = &f.ty;
        quote!(let mut #slot: ::core::option::Option<#ty> = ::core::option::Option::None;)
    });
    if fields.len() > 64 {
        return Err(syn::Error::new(
            input.span(),
            "`Message` derives for at most 64 fields",
        ));
    }
    let names = fields.iter().map(|f| f.name.to_string());
    let arms = fields.iter().enumerate().map(|(i, f)| {
        let slot = slot(i);
        let get = if f.bytes {
            quote!(#m::bytes::get(input, tag, depth)?)
        } else {
            quote!(#m::Field::get(input, tag, depth)?)
        };
        quote! {
            #i => #slot = ::core::option::Option::Some(#get),
        }
    });
    let builds = fields.iter().enumerate().map(|(i, f)| {
        let slot = slot(i);
        let ident = &f.name;
        let ty = &f.ty;
        let absent = if f.default {
            quote!(<#ty as ::core::default::Default>::default())
        } else if f.bytes {
            quote!(return ::core::option::Option::None)
        } else {
            quote!(<#ty as #m::Field>::absent()?)
        };
        quote! {
            #ident: match #slot {
                ::core::option::Option::Some(value) => value,
                ::core::option::Option::None => #absent,
            },
        }
    });
    // The fast path: the fields in declaration order, each once and nothing else (what
    // every encoder here writes) — one compare of each length-prefixed key, no name lookup.
    // Anything else is rewound and read by the general loop below.
    let in_order = fields.iter().all(|f| f.name.to_string().len() < 0x80);
    let fast_fields = fields.iter().map(|f| {
        let ident = &f.name;
        let name = f.name.to_string();
        let mut prefixed = vec![name.len() as u8];
        prefixed.extend_from_slice(name.as_bytes());
        let key = syn::LitByteStr::new(&prefixed, Span::call_site());
        let get = if f.bytes {
            quote!(#m::bytes::get(input, tag, depth)?)
        } else {
            quote!(#m::Field::get(input, tag, depth)?)
        };
        quote! {
            #ident: {
                let tag = input.expect_key(#key)?;
                #get
            },
        }
    });
    // One field gains little from it, and costs its code in every module: two or more.
    let fast = if in_order && fields.len() >= 2 {
        quote! {
            if count == #count {
                let start = input.position();
                let fast = (|| -> ::core::option::Option<Self> {
                    ::core::option::Option::Some(Self { #(#fast_fields)* })
                })();
                if fast.is_some() {
                    return fast;
                }
                input.rewind(start);
            }
        }
    } else {
        quote!()
    };
    let read_body = if fields.is_empty() {
        quote! {
            input.skip_fields(count, depth)?;
            ::core::option::Option::Some(Self {})
        }
    } else {
        quote! {
            #fast
            const NAMES: &[&str] = &[#(#names),*];
            #(#slots)*
            let mut fields = #m::Fields::new(count, depth);
            loop {
                let next = input.field(NAMES, &mut fields);
                if next == #m::Fields::END {
                    if fields.failed() {
                        return ::core::option::Option::None;
                    }
                    break;
                }
                let (index, tag) = ((next >> 8) as usize, next as u8);
                match index {
                    #(#arms)*
                    _ => return ::core::option::Option::None,
                }
            }
            ::core::option::Option::Some(Self { #(#builds)* })
        }
    };

    // The flat layout ([`fireball_record::message::flat`]): each field at the sum of the
    // sizes before it; a `default` field has a presence byte first.
    let field_type = |f: &Field| {
        let ty = &f.ty;
        if f.bytes {
            quote!(#m::bytes::TYPE)
        } else {
            quote!(<#ty as #m::Field>::TYPE)
        }
    };
    let mut offset = quote!(0usize);
    let mut shapes = Vec::new();
    let mut flat_fields = Vec::new();
    for f in &fields {
        let ty_const = field_type(f);
        let key = f.name.to_string();
        let default = f.default;
        shapes.push(quote!(#m::FieldShape::new(#key, &#ty_const, #offset, #default)));
        let ident = &f.name;
        let ty = &f.ty;
        let load = |at: Tokens| {
            if f.bytes {
                quote!(#m::bytes::from_flat(flat, #at)?)
            } else {
                quote!(<#ty as #m::Field>::from_flat(flat, #at)?)
            }
        };
        let value = if f.default {
            let present = load(quote!(at + (#offset) + 1));
            quote! {
                if flat.byte(at + (#offset)) != 0 {
                    #present
                } else {
                    <#ty as ::core::default::Default>::default()
                }
            }
        } else {
            load(quote!(at + (#offset)))
        };
        flat_fields.push(quote!(#ident: #value,));
        offset = quote!(#offset + #ty_const.size() + (#default as usize));
    }
    let total = offset;

    let encode = quote! {
        impl #impl_generics #m::Encode for #name #ty_generics #where_clause {
            fn write(&self, out: &mut #m::Writer<'_>) {
                out.count(#count);
                #(#writes)*
            }
        }
    };
    if !message {
        let as_owned = encodes_as(input)?.map(|owned| {
            quote! {
                impl #impl_generics #m::EncodesAs<#owned> for #name #ty_generics #where_clause {}
            }
        });
        return Ok(quote! {
            #encode
            #as_owned
        });
    }
    Ok(quote! {
        #encode

        impl #impl_generics #m::Message for #name #ty_generics #where_clause {
            const SHAPE: #m::Shape = #m::Shape::new(&[#(#shapes),*], #total);

            #[allow(unused_variables)]
            fn from_flat(flat: &#m::Flat<'_>, at: usize) -> ::core::option::Option<Self> {
                ::core::option::Option::Some(Self { #(#flat_fields)* })
            }

            #[allow(unused_variables)]
            fn read(
                input: &mut #m::Reader<'_>,
                count: usize,
                depth: usize,
            ) -> ::core::option::Option<Self> {
                #read_body
            }
        }

        impl #impl_generics #m::Field for #name #ty_generics #where_clause {
            const TYPE: #m::Type = #m::Type::record(&<Self as #m::Message>::SHAPE);

            fn from_flat(flat: &#m::Flat<'_>, at: usize) -> ::core::option::Option<Self> {
                <Self as #m::Message>::from_flat(flat, at)
            }

            fn put(&self, out: &mut #m::Writer<'_>) {
                out.tag(#m::RECORD);
                #m::Encode::write(self, out);
            }

            fn get(
                input: &mut #m::Reader<'_>,
                tag: u8,
                depth: usize,
            ) -> ::core::option::Option<Self> {
                let count = input.record(tag, depth)?;
                #m::Message::read(input, count, depth + 1)
            }
        }
    })
}

fn slot(i: usize) -> syn::Ident {
    syn::Ident::new(&format!("field_{i}"), Span::call_site())
}

fn field(field: &syn::Field) -> syn::Result<Field> {
    let mut out = Field {
        name: field.ident.clone().expect("named fields have names"),
        ty: field.ty.clone(),
        bytes: false,
        default: false,
    };
    for attr in &field.attrs {
        if !attr.path().is_ident("message") {
            continue;
        }
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("bytes") {
                out.bytes = true;
                Ok(())
            } else if meta.path.is_ident("default") {
                out.default = true;
                Ok(())
            } else {
                Err(meta.error("expected `bytes` or `default`"))
            }
        })?;
    }
    Ok(out)
}
