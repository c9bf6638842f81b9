//! Document-wide checks made before anything is read from a SAML Response (or from a decrypted
//! Assertion): the shapes that signature-wrapping (Somorovsky et al. 2012, XSW1–8), duplicate-ID
//! and comment-injection attacks (CVE-2017-11427 family) need are refused outright, whatever a
//! signature later says. Also the text reader used for every security-relevant value.

use std::collections::HashSet;

use crate::error::{Result, SamlError};
use crate::ns;

/// Attribute local names that XML-DSig implementations (bergshamra among them) treat as IDs.
const ID_ATTRIBUTE_NAMES: [&str; 4] = ["ID", "Id", "id", "AssertionID"];

/// Refuse comments and processing instructions inside the document element, ID attributes
/// that repeat a value or carry a namespace prefix, and any `ds:Signature` that is not a direct
/// child of `allowed_signature_parents`.
pub(crate) fn check_document(
    doc: &roxmltree::Document<'_>,
    allowed_signature_parents: &[roxmltree::NodeId],
) -> Result<()> {
    let mut ids = HashSet::new();
    for node in doc.descendants() {
        match node.node_type() {
            roxmltree::NodeType::Comment if node.ancestors().skip(1).any(|a| a.is_element()) => {
                return Err(SamlError::ForbiddenNode {
                    kind: "comment",
                    element: parent_name(node),
                });
            }
            roxmltree::NodeType::PI => {
                return Err(SamlError::ForbiddenNode {
                    kind: "processing instruction",
                    element: parent_name(node),
                });
            }
            roxmltree::NodeType::Element => {
                for attr in node.attributes() {
                    if !ID_ATTRIBUTE_NAMES.contains(&attr.name()) {
                        continue;
                    }
                    if attr.namespace().is_some() {
                        return Err(SamlError::DuplicateId(format!(
                            "{} (namespaced ID attribute on <{}>)",
                            attr.value(),
                            node.tag_name().name()
                        )));
                    }
                    if !ids.insert(attr.value()) {
                        return Err(SamlError::DuplicateId(attr.value().to_owned()));
                    }
                }
                if node.has_tag_name((ns::DSIG, "Signature"))
                    && !node
                        .parent_element()
                        .is_some_and(|p| allowed_signature_parents.contains(&p.id()))
                {
                    return Err(SamlError::Wrapping(format!(
                        "a Signature inside <{}> is not where SAML puts signatures",
                        parent_name(node)
                    )));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// All elements of the document that are a SAML Response other than `root`, or an Assertion /
/// EncryptedAssertion.
pub(crate) fn assertions_and_nested_responses<'a, 'i>(
    doc: &'a roxmltree::Document<'i>,
) -> (Vec<roxmltree::Node<'a, 'i>>, Vec<roxmltree::Node<'a, 'i>>) {
    let root = doc.root_element();
    let mut assertions = Vec::new();
    let mut responses = Vec::new();
    for n in doc.descendants().filter(|n| n.is_element()) {
        if n.has_tag_name((ns::ASSERTION, "Assertion"))
            || n.has_tag_name((ns::ASSERTION, "EncryptedAssertion"))
        {
            assertions.push(n);
        } else if n.has_tag_name((ns::PROTOCOL, "Response")) && n != root {
            responses.push(n);
        }
    }
    (assertions, responses)
}

/// The text content of an element that must hold text only: every text node concatenated
/// (so a comment, had one slipped through, could not truncate it); child elements, comments
/// and processing instructions are refused.
pub(crate) fn text_only(node: roxmltree::Node<'_, '_>) -> Result<String> {
    let mut out = String::new();
    for child in node.children() {
        match child.node_type() {
            roxmltree::NodeType::Text => out.push_str(child.text().unwrap_or("")),
            roxmltree::NodeType::Comment => {
                return Err(SamlError::ForbiddenNode {
                    kind: "comment",
                    element: node.tag_name().name().to_owned(),
                });
            }
            roxmltree::NodeType::PI => {
                return Err(SamlError::ForbiddenNode {
                    kind: "processing instruction",
                    element: node.tag_name().name().to_owned(),
                });
            }
            _ => {
                return Err(SamlError::invalid(format!(
                    "<{}> must contain text only",
                    node.tag_name().name()
                )));
            }
        }
    }
    Ok(out)
}

/// Whether an element has element children (complex attribute values).
pub(crate) fn has_element_children(node: roxmltree::Node<'_, '_>) -> bool {
    node.children().any(|c| c.is_element())
}

/// The children of `node` named `(ns, name)`.
pub(crate) fn children<'a, 'i>(
    node: roxmltree::Node<'a, 'i>,
    ns: &'a str,
    name: &'a str,
) -> impl Iterator<Item = roxmltree::Node<'a, 'i>> + 'a {
    node.children().filter(move |n| n.has_tag_name((ns, name)))
}

/// The only child of `node` named `(ns, name)`, if any; more than one is refused.
pub(crate) fn at_most_one<'a, 'i>(
    node: roxmltree::Node<'a, 'i>,
    ns: &'a str,
    name: &'a str,
) -> Result<Option<roxmltree::Node<'a, 'i>>> {
    let mut it = children(node, ns, name);
    match (it.next(), it.next()) {
        (first, None) => Ok(first),
        (Some(_), Some(_)) => Err(SamlError::invalid(format!(
            "more than one <{name}> in <{}>",
            node.tag_name().name()
        ))),
        (None, Some(_)) => Ok(None),
    }
}

/// Exactly one child named `(ns, name)`.
pub(crate) fn exactly_one<'a, 'i>(
    node: roxmltree::Node<'a, 'i>,
    ns: &'a str,
    name: &'a str,
) -> Result<roxmltree::Node<'a, 'i>> {
    at_most_one(node, ns, name)?
        .ok_or_else(|| SamlError::invalid(format!("<{}> has no <{name}>", node.tag_name().name())))
}

fn parent_name(node: roxmltree::Node<'_, '_>) -> String {
    node.parent_element()
        .map(|p| p.tag_name().name().to_owned())
        .unwrap_or_else(|| "document".to_owned())
}
