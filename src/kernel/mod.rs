pub mod follow;
