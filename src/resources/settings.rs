//! A resource kind's settings in the words of the properties. Each kind has a table of
//! [`Setting`]s (Terraform's flatten: a property beside the text of its value in a resource
//! of the kind) and an `expand` that makes, from a spec, the resource the properties ask for,
//! in the type the kind's reads return and through the builders its requests use. `prod-e
//! status` flattens that and the live resource through the same table ([`compare`]), and
//! `prod-e plan` shows the flatten of the first ([`describe`]): one comparison and one text
//! for every kind.

use crate::spec::Spec;

/// One property as a resource of kind `R` carries it; `X`, where a kind keeps it in its table,
/// is how the property reaches the kind's request (the task definition's expand).
pub struct Setting<R, X = ()> {
    /// The property.
    pub property: &'static str,
    flatten: Flatten<R>,
    /// Whether `prod-e status` compares it for a spec (where it does not, another owner, the
    /// scaler say, keeps it).
    compared: fn(&Spec) -> bool,
    /// How the property reaches the request (`()` where the kind's expand is one function).
    pub expand: X,
}

/// A setting's value in a resource of its kind, as text (`""`: none).
enum Flatten<R> {
    /// Every resource of the kind has it.
    Always(fn(&R) -> String),
    /// `None` where a resource of the kind has none: a live one does not report it, or the
    /// spec's leaves it to AWS. Then it is not compared, and a spec's is not shown.
    Reported(fn(&R) -> Option<String>),
}

impl<R> Setting<R> {
    /// A setting every resource of the kind has.
    pub const fn new(property: &'static str, flatten: fn(&R) -> String) -> Self {
        Setting {
            property,
            flatten: Flatten::Always(flatten),
            compared: always,
            expand: (),
        }
    }

    /// A setting a resource of the kind may not have (`None`): where ECS's DescribeServices
    /// shows no `deploymentConfiguration`, or the properties leave `ContainerInsights` to the
    /// account, say.
    pub const fn reported(property: &'static str, flatten: fn(&R) -> Option<String>) -> Self {
        Setting {
            flatten: Flatten::Reported(flatten),
            ..Setting::new(property, |_| String::new())
        }
    }

    /// This setting, compared only where `compared` says.
    pub const fn compared_when(self, compared: fn(&Spec) -> bool) -> Self {
        Setting { compared, ..self }
    }

    /// This setting, reaching the request by `expand`.
    pub const fn expanding<X>(self, expand: X) -> Setting<R, X> {
        Setting {
            property: self.property,
            flatten: self.flatten,
            compared: self.compared,
            expand,
        }
    }
}

impl<R, X> Setting<R, X> {
    /// Its value in `resource`, as text (`""`: none; `None`: not reported).
    pub fn flatten(&self, resource: &R) -> Option<String> {
        match self.flatten {
            Flatten::Always(flatten) => Some(flatten(resource)),
            Flatten::Reported(flatten) => flatten(resource),
        }
    }
}

fn always(_: &Spec) -> bool {
    true
}

/// (property, the live value as text if the resource was found, the properties' value).
pub type Pair = (&'static str, Option<String>, String);

/// The pairs of every setting of `table` that `spec` has and compares: `live` (`None`: not
/// found; a setting it does not report has no live value either) and `want` (the kind's
/// expand of `spec`), flattened alike.
pub fn compare<R, X>(
    table: &[Setting<R, X>],
    spec: &Spec,
    live: Option<&R>,
    want: &R,
) -> Vec<Pair> {
    let compared = table.iter().filter(|s| (s.compared)(spec));
    let pair = |s: &Setting<R, X>| {
        let want = s.flatten(want)?;
        Some((s.property, live.and_then(|l| s.flatten(l)), want))
    };
    compared.filter_map(pair).collect()
}

/// `Property value, …` of every setting of `table` that `want` (the kind's expand of a spec)
/// has, values at most [`SHOWN`] characters, `none` for none.
pub fn describe<R, X>(table: &[Setting<R, X>], want: &R) -> String {
    let line = |s: &Setting<R, X>| {
        let value = s.flatten(want)?;
        Some(format!("{} {}", s.property, shown(value)))
    };
    table.iter().filter_map(line).collect::<Vec<_>>().join(", ")
}

/// The most characters of a value shown (the default server's command runs to hundreds).
pub const SHOWN: usize = 160;

/// A value for people: `none` for none, at most [`SHOWN`] characters.
pub fn shown(value: String) -> String {
    match value.chars().count() {
        0 => "none".to_string(),
        n if n > SHOWN => format!("{}…", value.chars().take(SHOWN - 1).collect::<String>()),
        _ => value,
    }
}

/// `items` sorted, `,`-separated: a list whose order AWS does not keep.
pub fn listed(mut items: Vec<String>) -> String {
    items.sort();
    items.join(",")
}
