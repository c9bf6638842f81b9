//! Security-question factors (CONTRACT §2 user factors): Okta's question catalogue, the custom
//! question, and how an answer is normalised before it is hashed and compared.

/// Okta's security questions (key, text). `custom` takes the text from `questionText`.
pub const QUESTIONS: [(&str, &str); 12] = [
    (
        "disliked_food",
        "What is the food you least liked as a child?",
    ),
    (
        "name_of_first_plush_toy",
        "What is the name of your first stuffed animal?",
    ),
    (
        "first_award",
        "What did you earn your first medal or award for?",
    ),
    (
        "favorite_security_question",
        "What is your favorite security question?",
    ),
    (
        "favorite_toy",
        "What is the toy/stuffed animal you liked the most as a kid?",
    ),
    (
        "first_computer_game",
        "What was the first computer game you played?",
    ),
    ("favorite_movie_quote", "What is your favorite movie quote?"),
    (
        "first_sports_team_mascot",
        "What was the mascot of the first sports team you played on?",
    ),
    (
        "first_music_purchase",
        "What music album or song did you first purchase?",
    ),
    ("favorite_art_piece", "What is your favorite piece of art?"),
    (
        "grandmother_favorite_desert",
        "What was your grandmother's favorite dessert?",
    ),
    (
        "first_thing_cooked",
        "What was the first thing you learned to cook?",
    ),
];

/// Key of a question whose text the user writes.
pub const CUSTOM_QUESTION: &str = "custom";

/// Normalises a security answer: trimmed, inner whitespace collapsed, case-folded.
pub fn normalize_answer(raw: &str) -> String {
    raw.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}
